package scan

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/coreview/coreview/internal/coreinput"
	"github.com/coreview/coreview/internal/parallel"
	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/symbolize"
)

// FindCores lists the files under dirs that hold ELF cores, raw or
// compressed, by their content; only regular files are read, symlinks to
// them followed.
func FindCores(dirs []string, recursive bool) ([]string, error) {
	paths, _, err := findCores(dirs, recursive)
	return paths, err
}

// findCores walks dirs (a symlink to a directory is followed: the
// directory is what was named; inside it too when recursive, each
// directory once, so a symlink loop ends) and returns the cores found and
// an error row for every file that looks like a core but could not be
// read or decoded (LooksLikeCore), and for every directory it could not
// list below the top: a scan never skips one silently.
func findCores(dirs []string, recursive bool) (paths []string, unreadable []Row, err error) {
	seen := map[[2]uint64]bool{}
	var files []candidate // regular files, to sniff once the walk is done
	var walk func(dir string, top bool) error
	walk = func(dir string, top bool) error {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if id, ok := fileID(st); ok {
			if seen[id] {
				return nil // a directory reached twice: a loop, or a second link
			}
			seen[id] = true
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			if top {
				return err
			}
			unreadable = append(unreadable, errorRow(dir, fmt.Sprintf("directory not scanned: %v", err)))
			return nil
		}
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			typ := e.Type()
			if typ&os.ModeSymlink != 0 {
				st, err := os.Stat(path)
				if err != nil {
					if LooksLikeCore(e.Name(), nil) {
						unreadable = append(unreadable, errorRow(path, fmt.Sprintf("symbolic link not followed: %v", err)))
					}
					continue
				}
				typ = st.Mode().Type()
			}
			switch {
			case typ.IsDir():
				if recursive {
					if err := walk(path, false); err != nil {
						unreadable = append(unreadable, errorRow(path, fmt.Sprintf("directory not scanned: %v", err)))
					}
				}
			case typ.IsRegular():
				files = append(files, candidate{path, e.Name()})
			default:
				// Never opened: a FIFO would block, a device has effects.
				if LooksLikeCore(e.Name(), nil) {
					unreadable = append(unreadable, errorRow(path, "not a regular file but "+safefile.Describe(typ)))
				}
			}
		}
		return nil
	}
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, nil, err
		}
		if st.Mode().IsRegular() {
			paths = append(paths, dir)
			continue
		}
		if !st.IsDir() {
			return nil, nil, fmt.Errorf("%s: not a directory or a regular file but %s", dir, safefile.Describe(st.Mode()))
		}
		if err := walk(dir, true); err != nil {
			return nil, nil, err
		}
	}
	// Sniffing is most of the finding (reading each file's start, and
	// decompressing a compressed one's): the files are sniffed on every
	// CPU, and the rows come in the walk's order whatever finishes first.
	type sniffed struct {
		row  *Row
		core bool
	}
	out := make([]sniffed, len(files))
	parallel.Each(len(files), func(i int) {
		out[i].row, out[i].core = sniffFile(files[i].path, files[i].name)
	})
	for i, o := range out {
		if o.core {
			paths = append(paths, files[i].path)
		} else if o.row != nil {
			unreadable = append(unreadable, *o.row)
		}
	}
	sort.Strings(paths)
	return paths, unreadable, nil
}

// candidate is a regular file findCores found: its path and its name in
// its directory.
type candidate struct{ path, name string }

// sniffFile says whether the regular file at path is a core; when it
// cannot tell and the file looks like one, the row says why.
func sniffFile(path, name string) (*Row, bool) {
	ok, kind, err := coreinput.Sniff(path)
	switch {
	case err == nil:
		// A core, or a file that is none (a compressed one included:
		// it decompressed to something else).
		return nil, ok
	case errors.Is(err, coreinput.ErrUndecodable):
		r := errorRow(path, fmt.Sprintf("starts like a %s stream but does not decompress (%v)", kind, err))
		return &r, false
	}
	head, _ := readHead(path)
	if LooksLikeCore(name, head) {
		r := errorRow(path, fmt.Sprintf("looks like a core but cannot be read: %v", err))
		return &r, false
	}
	return nil, false
}

func readHead(path string) ([]byte, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 8)
	n, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return b[:n], err
}

// LooksLikeCore reports whether a file's name or first bytes say it is
// meant to be a core: named core, core.*, *.core or as systemd-coredump
// names them (core.comm.uid.bootid.pid.usec[.zst]), or starting with the
// magic of a compression cores are stored in. A file that does cannot
// be skipped silently when it cannot be read.
func LooksLikeCore(name string, head []byte) bool {
	if name == "core" || strings.HasPrefix(name, "core.") || strings.HasSuffix(name, ".core") {
		return true
	}
	return head != nil && coreinput.Compression(head) != ""
}

func fileID(st os.FileInfo) ([2]uint64, bool) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return [2]uint64{}, false
	}
	return [2]uint64{sys.Dev, sys.Ino}, true
}

// dirIndex indexes each search directory by build-id once per scan, for
// all its cores (symbolize.IndexDir), however many workers ask.
type dirIndex struct {
	mu   sync.Mutex
	dirs map[string]*indexedDir
}

type indexedDir struct {
	once sync.Once
	idx  map[string]string
}

func (d *dirIndex) get(dir string) map[string]string {
	d.mu.Lock()
	e, ok := d.dirs[dir]
	if !ok {
		e = &indexedDir{}
		d.dirs[dir] = e
	}
	d.mu.Unlock()
	e.once.Do(func() { e.idx = symbolize.IndexDir(dir) })
	return e.idx
}
