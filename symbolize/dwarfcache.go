package symbolize

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/coreview/coreview/internal/diskcache"
	"github.com/coreview/coreview/internal/safefile"
)

// The DWARF a lazily read file has had inflated is kept in the persistent
// cache (internal/diskcache), so that the next analysis needing the same
// units of the same file inflates nothing: the units of .debug_info, their
// abbreviation tables and line programs, and the small sections read
// whole. The entry is keyed by the file's build-id and its identity on disk
// (path, device, inode, size, modification time): a file replaced or
// rebuilt is another key. What an entry holds is checked against the file's
// sections (names, inflated sizes, bounds) before use; the cache verified
// its checksum.

// dwarfCacheVersion changes with what an entry holds. 2: of .debug_abbrev
// and .debug_line, the spans of the units read (their tables and line
// programs), not the prefix inflated to reach them (glibc's entry 2.3 MB
// → 0.56 MB).
const dwarfCacheVersion = "dwarf-lazy 2"

// dwarfCacheKey is the key of fh's entry, "" when its identity is unknown.
func dwarfCacheKey(fh *os.File, path, buildID string) string {
	id := fileIdentity(fh, path)
	if id == "" {
		return ""
	}
	return diskcache.Key(dwarfCacheVersion, buildID, id)
}

// cachedSection is what an entry holds of one section: its inflated size
// and runs of its bytes by offset.
type cachedSection struct {
	size uint64
	runs map[uint64][]byte
}

// Entry layout, little-endian: per section, its name (u16 length, bytes),
// inflated size (u64), run count (u32), then each run's offset (u64),
// length (u64) and bytes.
func encodeDWARFCache(secs map[string]*cachedSection) []byte {
	var b bytes.Buffer
	writeDWARFCache(&b, secs, func(f func() error) error { return f() })
	return b.Bytes()
}

// dwarfCacheSize is the length of secs' entry.
func dwarfCacheSize(secs map[string]*cachedSection) int64 {
	var n int64
	for name, s := range secs {
		n += 2 + int64(len(name)) + 8 + 4
		for _, r := range s.runs {
			n += 16 + int64(len(r))
		}
	}
	return n
}

// writeDWARFCache writes secs' entry to w, each run's bytes through
// guard: they may be a mapped entry's, which faults if its file shrank.
func writeDWARFCache(w io.Writer, secs map[string]*cachedSection, guard func(func() error) error) error {
	names := make([]string, 0, len(secs))
	for n := range secs {
		names = append(names, n)
	}
	sort.Strings(names)
	var hdr []byte
	for _, n := range names {
		s := secs[n]
		hdr = binary.LittleEndian.AppendUint16(hdr[:0], uint16(len(n)))
		hdr = append(hdr, n...)
		hdr = binary.LittleEndian.AppendUint64(hdr, s.size)
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(s.runs)))
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		offs := make([]uint64, 0, len(s.runs))
		for o := range s.runs {
			offs = append(offs, o)
		}
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		for _, o := range offs {
			run := s.runs[o]
			hdr = binary.LittleEndian.AppendUint64(hdr[:0], o)
			hdr = binary.LittleEndian.AppendUint64(hdr, uint64(len(run)))
			if _, err := w.Write(hdr); err != nil {
				return err
			}
			if err := guard(func() error { _, err := w.Write(run); return err }); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeDWARFCache parses an entry; the runs alias b.
func decodeDWARFCache(b []byte) (map[string]*cachedSection, error) {
	secs := map[string]*cachedSection{}
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("dwarf cache: cut section name")
		}
		n := int(binary.LittleEndian.Uint16(b))
		b = b[2:]
		if n > len(b) || len(b)-n < 12 {
			return nil, fmt.Errorf("dwarf cache: cut section header")
		}
		name := string(b[:n])
		b = b[n:]
		s := &cachedSection{size: binary.LittleEndian.Uint64(b), runs: map[uint64][]byte{}}
		count := binary.LittleEndian.Uint32(b[8:])
		b = b[12:]
		if _, dup := secs[name]; dup || s.size > maxSectionSize {
			return nil, fmt.Errorf("dwarf cache: section %q repeated or too large", name)
		}
		for range count {
			if len(b) < 16 {
				return nil, fmt.Errorf("dwarf cache: %s: cut run", name)
			}
			off, l := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
			b = b[16:]
			if l > uint64(len(b)) || off > s.size || l > s.size-off {
				return nil, fmt.Errorf("dwarf cache: %s: run of %d bytes at %#x outside its %d bytes", name, l, off, s.size)
			}
			s.runs[off] = b[:l:l]
			b = b[l:]
		}
		secs[name] = s
	}
	return secs, nil
}

// snapshot is what lz has read, for the cache.
func (lz *lazyDWARF) snapshot() map[string]*cachedSection {
	secs := map[string]*cachedSection{}
	units := map[uint64][]byte{}
	for o, u := range lz.info.cached {
		units[o] = u
	}
	for o, u := range lz.units {
		units[o] = u
	}
	secs["info"] = &cachedSection{size: lz.info.size, runs: units}
	for name, p := range map[string]*prefixSection{"abbrev": lz.abbrev, "line": lz.line} {
		if p != nil {
			secs[name] = &cachedSection{size: uint64(len(p.buf)), runs: p.cacheRuns()}
		}
	}
	for name, b := range lz.whole {
		secs[name] = &cachedSection{size: uint64(len(b)), runs: map[uint64][]byte{0: b}}
	}
	return secs
}

// save writes what lz has read to the cache when it read anything the
// cache did not give it.
func (lz *lazyDWARF) save() {
	lz.mu.Lock()
	defer lz.mu.Unlock()
	if lz.cache == nil || lz.cacheKey == "" || !lz.dirty.Load() {
		return
	}
	// The runs the entry gave are its mapping (diskcache.Get), read here
	// on the save's own goroutine: an entry that shrank underneath costs
	// the save, not the process (SIGBUS outside a guard is fatal). The
	// entry is written as it is encoded: glibc's is 2.3 MB.
	secs := lz.snapshot()
	err := lz.cache.PutStream(lz.cacheKey, dwarfCacheSize(secs), func(w io.Writer) error {
		return writeDWARFCache(w, secs, safefile.Guard)
	})
	if err == nil {
		lz.dirty.Store(false)
	}
}

// cachedWhole returns a whole section from the entry, if it has it at
// that size.
func cachedWhole(secs map[string]*cachedSection, name string, size uint64) ([]byte, bool) {
	s, ok := secs[name]
	if !ok || s.size != size || len(s.runs) != 1 {
		return nil, false
	}
	b, ok := s.runs[0]
	return b, ok && uint64(len(b)) == size
}
