package symbolize

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Debuginfod fetches separate debug files by build-id from debuginfod
// servers (the protocol of elfutils' debuginfod: GET
// URL/buildid/<hex>/debuginfo), keeping them in a cache directory laid out
// as elfutils' client does (<cache>/<build-id>/debuginfo). It never prompts
// and never waits longer than Timeout for one file, so a CI job with an
// unreachable server loses seconds, not hours.
type Debuginfod struct {
	URLs     []string
	CacheDir string
	// Timeout bounds each request, connection and body together.
	Timeout time.Duration
	// MaxSize caps the size of one debug file.
	MaxSize int64
	Client  *http.Client

	mu     sync.Mutex
	misses map[string]error // build-ids no server had, this run
}

// DefaultDebuginfodTimeout is how long one fetch may take unless
// DEBUGINFOD_TIMEOUT says otherwise.
const DefaultDebuginfodTimeout = 10 * time.Second

// DefaultDebuginfodMaxSize caps a fetched debug file (librustc_driver's
// would be the largest a user meets: under 2 GiB).
const DefaultDebuginfodMaxSize = 4 << 30

// ParseDebuginfodURLs splits DEBUGINFOD_URLS: URLs separated by spaces.
func ParseDebuginfodURLs(s string) []string {
	var out []string
	for _, u := range strings.Fields(s) {
		out = append(out, strings.TrimRight(u, "/"))
	}
	return out
}

// Fetch returns the path of the debug file with the given build-id: from
// the cache, else downloaded from the first server that has it.
func (c *Debuginfod) Fetch(buildID string) (string, error) {
	if !validBuildID(buildID) {
		return "", fmt.Errorf("debuginfod: %q is not a build-id", buildID)
	}
	dir := filepath.Join(c.CacheDir, buildID)
	path := filepath.Join(dir, "debuginfo")
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Size() > 0 {
		return path, nil
	}
	c.mu.Lock()
	if err, ok := c.misses[buildID]; ok {
		c.mu.Unlock()
		return "", err
	}
	c.mu.Unlock()
	var errs []error
	for _, u := range c.URLs {
		err := c.download(u+"/buildid/"+buildID+"/debuginfo", dir, path)
		if err == nil {
			return path, nil
		}
		errs = append(errs, err)
	}
	err := errors.Join(errs...)
	if err == nil {
		err = errors.New("debuginfod: no server URLs")
	}
	c.mu.Lock()
	if c.misses == nil {
		c.misses = map[string]error{}
	}
	c.misses[buildID] = err
	c.mu.Unlock()
	return "", err
}

func (c *Debuginfod) download(url, dir, path string) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultDebuginfodTimeout
	}
	maxSize := c.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultDebuginfodMaxSize
	}
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("debuginfod: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("debuginfod: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("debuginfod: GET %s: %s", url, resp.Status)
	}
	if resp.ContentLength > maxSize {
		return fmt.Errorf("debuginfod: GET %s: %d bytes, more than the %d allowed", url, resp.ContentLength, maxSize)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("debuginfod: cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".debuginfo-*")
	if err != nil {
		return fmt.Errorf("debuginfod: cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, maxSize+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("debuginfod: GET %s: %w", url, err)
	}
	if n > maxSize {
		return fmt.Errorf("debuginfod: GET %s: more than the %d bytes allowed", url, maxSize)
	}
	// Rename last, so a cut download never sits in the cache.
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("debuginfod: cache: %w", err)
	}
	return nil
}

// FetchDebug asks debuginfod, in parallel, for the debug files of the
// modules holding the given addresses that have no DWARF of their own and
// none on disk. A module that gains a debug file re-reads its symbol table
// if its own file had no .symtab. Problems become warnings. Call it before
// the first Source: a module whose DWARF was already looked for is
// skipped.
func (t *Table) FetchDebug(pcs []uint64) {
	if t.finder == nil || t.finder.debuginfod == nil {
		return
	}
	// Symbol tables are being read in the background (Preload); let them
	// finish before modules change under them.
	t.preloads.Wait()
	want := map[*Module]bool{}
	for _, pc := range pcs {
		if m := t.Module(pc); m != nil && m.Status != StatusMemory {
			want[m] = true
		}
	}
	var wg sync.WaitGroup
	for m := range want {
		if m.dwarfLooked || m.localDebug() != nil || (m.elf != nil && hasDWARF(m.elf)) || !validBuildID(m.buildID()) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			path, err := t.finder.debuginfod.Fetch(m.buildID())
			if err != nil {
				m.debugWarnings = append(m.debugWarnings, fmt.Sprintf("module %s: no debug file from debuginfod: %v", m.Path, err))
				return
			}
			m.remote = m.tryDebug(path, "debuginfod", m.buildID(), nil)
		}()
	}
	wg.Wait()
	// Symbols read before the fetch, without a .symtab of the module's
	// own, lack the debug file's; symbols not read yet will include it.
	for m := range want {
		if m.remote != nil && m.syms != nil && !m.syms.ownSymtab {
			m.syms = m.readSymtab()
		}
	}
}
