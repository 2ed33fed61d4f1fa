// Package diskcache is a persistent cache of derived data (coreview keeps
// inflated and indexed debug information in it) in one directory, shared by
// concurrent processes.
//
// A cache is an optimisation, never a source of truth: every entry carries
// its key and a checksum, and an entry that does not verify is removed and
// reported as a miss. Entries are written to a temporary file and renamed
// into place, so a reader sees a whole old entry or a whole new one. The
// directory is kept under a size cap by removing the least recently used
// entries (a hit refreshes an entry's modification time).
package diskcache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coreview/coreview/internal/safefile"
)

// magic starts every entry; the version in it changes with the layout.
const magic = "coreview cache 1"

// ext names entry files; tmpPrefix the files being written.
const (
	ext       = ".cve"
	tmpPrefix = ".tmp-"
)

// DefaultMaxBytes is the default size cap of a cache directory.
const DefaultMaxBytes = 512 << 20

// maxEntry bounds what one entry may hold (and what a read allocates).
const maxEntry = 1 << 30

// staleTemp is how old a temporary file must be to count as left by a
// writer that died.
const staleTemp = time.Hour

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Cache is a cache directory. The zero value and nil are a cache that
// holds nothing.
type Cache struct {
	dir string
	max int64

	mu   sync.Mutex
	maps []*safefile.Mapped // the entries Get returned, until Close
}

// Dir returns the default cache directory: $XDG_CACHE_HOME/coreview, else
// ~/.cache/coreview (the XDG base directory specification); "" when
// neither can be known.
func Dir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "coreview")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".cache", "coreview")
}

// Open returns the cache in dir, capped at maxBytes (DefaultMaxBytes if 0
// or less). The directory is made when the first entry is written.
func Open(dir string, maxBytes int64) *Cache {
	if dir == "" {
		return nil
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Cache{dir: dir, max: maxBytes}
}

func (c *Cache) path(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, hex.EncodeToString(h[:16])+ext)
}

// Entry layout: magic, key length (u32), key, data length (u64), data,
// CRC-32C of everything before it (u32); little-endian.
func header(key string, n int64) []byte {
	b := make([]byte, 0, len(magic)+4+len(key)+8)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	return binary.LittleEndian.AppendUint64(b, uint64(n))
}

// encode is the whole entry for key and data, in one buffer (tests).
func encode(key string, data []byte) []byte {
	b := append(header(key, int64(len(data))), data...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// ErrCorrupt is why an entry was discarded.
var ErrCorrupt = errors.New("diskcache: corrupt entry")

func decode(key string, b []byte) ([]byte, error) {
	if len(b) < len(magic)+4+8+4 || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: no header", ErrCorrupt)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	p := body[len(magic):]
	n := uint64(binary.LittleEndian.Uint32(p))
	p = p[4:]
	if n > uint64(len(p)) || string(p[:n]) != key {
		return nil, fmt.Errorf("%w: another key", ErrCorrupt)
	}
	p = p[n:]
	if len(p) < 8 {
		return nil, fmt.Errorf("%w: cut", ErrCorrupt)
	}
	if m := binary.LittleEndian.Uint64(p); m != uint64(len(p)-8) {
		return nil, fmt.Errorf("%w: data length %d, %d bytes stored", ErrCorrupt, m, len(p)-8)
	}
	return p[8:], nil
}

// Get returns the data stored under key. A missing entry, one that cannot
// be read, and one that does not verify (which is removed) are all misses.
// The data is the entry file mapped, not a copy (a warm analysis of a rustc
// core read 5 MB of entries into fresh memory): it stays valid until Close,
// and readers take it as they take mapped files, under safefile.Guard.
// Entries are only ever replaced by a rename, never rewritten in place.
func (c *Cache) Get(key string) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	p := c.path(key)
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxEntry {
		return nil, false
	}
	if fi.Size() < int64(len(magic)+4+8+4) {
		os.Remove(p) // shorter than any entry
		return nil, false
	}
	f, err := safefile.Open(p)
	if err != nil {
		return nil, false
	}
	mm, err := safefile.Map(f)
	f.Close()
	if err != nil {
		return nil, false
	}
	var data []byte
	err = safefile.Guard(func() (err error) {
		data, err = decode(key, mm.Bytes())
		return err
	})
	if err != nil {
		mm.Close()
		if errors.Is(err, ErrCorrupt) {
			os.Remove(p)
		}
		return nil, false
	}
	c.mu.Lock()
	c.maps = append(c.maps, mm)
	c.mu.Unlock()
	now := time.Now()
	os.Chtimes(p, now, now) // least recently used goes first
	return data, true
}

// Close unmaps the entries Get returned: their data must not be used after.
func (c *Cache) Close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, mm := range c.maps {
		mm.Close()
	}
	c.maps = nil
}

// Put stores data under key, atomically, then trims the directory to its
// cap. Errors are returned for the caller to ignore or report: a cache that
// cannot be written only costs time.
func (c *Cache) Put(key string, data []byte) error {
	return c.PutStream(key, int64(len(data)), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// PutStream stores under key the n bytes fill writes, without holding
// them in memory: the entry is written through a buffer as fill produces
// it, then renamed into place. Fewer or more than n bytes is an
// error, and nothing is stored.
func (c *Cache) PutStream(key string, n int64, fill func(w io.Writer) error) error {
	if c == nil {
		return nil
	}
	if n < 0 || n > maxEntry {
		return fmt.Errorf("diskcache: %d bytes, more than an entry may hold", n)
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("diskcache: %w", err)
	}
	f, err := os.CreateTemp(c.dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("diskcache: %w", err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	sum := crc32.New(castagnoli)
	cw := &countWriter{w: io.MultiWriter(bw, sum)}
	_, werr := cw.Write(header(key, n))
	start := cw.n
	if werr == nil {
		werr = fill(cw)
	}
	if werr == nil && cw.n-start != n {
		werr = fmt.Errorf("%d bytes written, %d announced", cw.n-start, n)
	}
	if werr == nil {
		_, werr = bw.Write(binary.LittleEndian.AppendUint32(nil, sum.Sum32()))
	}
	if werr == nil {
		werr = bw.Flush()
	}
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), c.path(key))
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("diskcache: %w", werr)
	}
	c.trim()
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n += int64(k)
	return k, err
}

// trim removes the least recently used entries while the directory holds
// more than the cap, and temporary files a dead writer left.
func (c *Cache) trim() {
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type file struct {
		path string
		size int64
		mod  time.Time
	}
	var files []file
	var total int64
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		p := filepath.Join(c.dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), tmpPrefix):
			if time.Since(fi.ModTime()) > staleTemp {
				os.Remove(p)
			}
		case strings.HasSuffix(e.Name(), ext):
			files = append(files, file{p, fi.Size(), fi.ModTime()})
			total += fi.Size()
		}
	}
	if total <= c.max {
		return
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod.Before(files[j].mod) })
	for _, f := range files {
		if total <= c.max {
			break
		}
		if err := os.Remove(f.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= f.size
		}
	}
}

// Key joins the parts of a key unambiguously.
func Key(parts ...string) string {
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString(fmt.Sprintf("%d:", len(p)))
		b.WriteString(p)
	}
	return b.String()
}
