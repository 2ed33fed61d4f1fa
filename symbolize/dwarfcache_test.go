package symbolize

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/coreview/coreview/internal/diskcache"
)

// cachedLazyIndex opens glibc's debug file (copied to dir, so that its
// identity is the test's) for lazy reading with the cache in cacheDir, and
// reads the units of addrs as PrepareSource does, then saves them.
func cachedLazyIndex(t *testing.T, path, cacheDir string, addrs []uint64) (*dwarfIndex, [][]Location) {
	t.Helper()
	ef, mm := mappedELF(t, path)
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	data := func(s *elf.Section) []byte { return sectionData(mm, s) }
	key := dwarfCacheKey(fh, path, "93ac61ec5a8eb1396f9fbd350e3169a558528a40")
	if key == "" {
		t.Fatal("no cache key")
	}
	ix, ok, err := openLazyIndex(ef, mm, data, path, nil, diskcache.Open(cacheDir, 0), key)
	if err != nil || !ok {
		t.Fatalf("openLazyIndex: ok %v, %v", ok, err)
	}
	var offs []dwarf.Offset
	for _, a := range addrs {
		if off, ok := ix.unitFor(a); ok {
			offs = append(offs, off)
		}
	}
	ix.want(offs)
	var locs [][]Location
	for _, a := range addrs {
		l, err := ix.safeSource(a)
		if err != nil {
			t.Fatalf("%#x: %v", a, err)
		}
		locs = append(locs, l)
	}
	ix.lazy.save()
	return ix, locs
}

func copyDebugFile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(glibcDebug())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "libc.debug")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// someAddrs are function addresses spread over glibc's units.
func someAddrs(t *testing.T, path string) []uint64 {
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	all := funcAddrs(t, ef)
	var out []uint64
	for i := 0; i < len(all); i += len(all) / 40 {
		out = append(out, all[i])
	}
	return out
}

// TestDWARFCacheWarm: a second reading of the same units of the same file
// takes everything from the cache entry the first wrote, inflating
// nothing, and answers alike.
func TestDWARFCacheWarm(t *testing.T) {
	path := copyDebugFile(t)
	cacheDir := t.TempDir()
	addrs := someAddrs(t, path)
	cold, want := cachedLazyIndex(t, path, cacheDir, addrs)
	if cold.lazy.info.pos == 0 {
		t.Fatal("the cold reading inflated nothing")
	}
	if ents, _ := filepath.Glob(filepath.Join(cacheDir, "*.cve")); len(ents) != 1 {
		t.Fatalf("%d cache entries, want 1", len(ents))
	}
	warm, got := cachedLazyIndex(t, path, cacheDir, addrs)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warm answers differ from cold ones")
	}
	lz := warm.lazy
	if lz.dirty.Load() || lz.info.r != nil || lz.abbrev.st.r != nil || lz.line.st.r != nil {
		t.Errorf("the warm reading inflated (dirty %v, streams open: info %v abbrev %v line %v)", lz.dirty.Load(), lz.info.r != nil, lz.abbrev.st.r != nil, lz.line.st.r != nil)
	}
	found := 0
	for _, l := range got {
		if len(l) > 0 {
			found++
		}
	}
	if found < len(addrs)/2 {
		t.Errorf("%d of %d addresses have a position: the comparison proves little", found, len(addrs))
	}
}

// TestDWARFCacheCorrupt: an entry with a byte flipped is discarded (the
// file removed) and the DWARF read from the debug file again, with the same
// answers; an entry that verifies but whose runs lie outside the sections
// is not used either.
func TestDWARFCacheCorrupt(t *testing.T) {
	path := copyDebugFile(t)
	cacheDir := t.TempDir()
	addrs := someAddrs(t, path)
	_, want := cachedLazyIndex(t, path, cacheDir, addrs)
	ents, _ := filepath.Glob(filepath.Join(cacheDir, "*.cve"))
	if len(ents) != 1 {
		t.Fatalf("%d cache entries, want 1", len(ents))
	}
	b, err := os.ReadFile(ents[0])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(ents[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	ix, got := cachedLazyIndex(t, path, cacheDir, addrs)
	if !ix.lazy.dirty.Load() && ix.lazy.info.pos == 0 {
		t.Error("a corrupt entry was used")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("answers after a corrupt entry differ")
	}

	// A well-formed entry (its checksum right) claiming a run past the end
	// of .debug_info: refused as a whole.
	bad := encodeDWARFCache(map[string]*cachedSection{"info": {size: 100, runs: map[uint64][]byte{90: make([]byte, 20)}}})
	if _, err := decodeDWARFCache(bad); err == nil {
		t.Error("a run outside its section decoded")
	}
	if _, err := decodeDWARFCache(bad[:len(bad)-5]); err == nil {
		t.Error("a cut entry decoded")
	}
}

// TestDWARFCacheKey: a file touched or replaced has another key.
func TestDWARFCacheKey(t *testing.T) {
	path := copyDebugFile(t)
	key := func() string {
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		return dwarfCacheKey(fh, path, "id")
	}
	k1 := key()
	when := time.Now().Add(-time.Hour)
	os.Chtimes(path, when, when)
	if k2 := key(); k2 == k1 || k2 == "" {
		t.Errorf("touched file: key %q, before %q", k2, k1)
	}
}

// TestDWARFCacheSize: the size PutStream is told is the entry's, and the
// entry decodes to what was written.
func TestDWARFCacheSize(t *testing.T) {
	secs := map[string]*cachedSection{
		"info":   {size: 1000, runs: map[uint64][]byte{0: make([]byte, 40), 500: []byte("unit"), 900: {}}},
		"abbrev": {size: 64, runs: map[uint64][]byte{0: []byte("tables")}},
		"str":    {size: 3, runs: map[uint64][]byte{0: []byte("abc")}},
	}
	b := encodeDWARFCache(secs)
	if n := dwarfCacheSize(secs); n != int64(len(b)) {
		t.Fatalf("dwarfCacheSize = %d, the entry is %d bytes", n, len(b))
	}
	got, err := decodeDWARFCache(b)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range secs {
		g := got[name]
		if g == nil || g.size != s.size || len(g.runs) != len(s.runs) {
			t.Fatalf("%s: decoded %+v, want %+v", name, g, s)
		}
		for o, r := range s.runs {
			if string(g.runs[o]) != string(r) {
				t.Errorf("%s: run at %d = %q, want %q", name, o, g.runs[o], r)
			}
		}
	}
}

// TestDWARFCacheKeepsUsedSpans: the entry keeps, of .debug_abbrev and
// .debug_line, the tables and line programs of the units read (not the
// whole prefix inflated to reach them); a reading that needs more units
// inflates past those spans, leaving them as the cache gave them, and
// answers as a reading without the cache does.
func TestDWARFCacheKeepsUsedSpans(t *testing.T) {
	path := copyDebugFile(t)
	cacheDir := t.TempDir()
	addrs := someAddrs(t, path)
	some := addrs[len(addrs)/2:]
	first, _ := cachedLazyIndex(t, path, cacheDir, some)
	inflated := first.lazy.abbrev.inflated() + first.lazy.line.inflated()
	ents, _ := filepath.Glob(filepath.Join(cacheDir, "*.cve"))
	if len(ents) != 1 {
		t.Fatalf("%d cache entries, want 1", len(ents))
	}
	kept := 0
	for _, p := range []*prefixSection{first.lazy.abbrev, first.lazy.line} {
		for _, r := range p.cacheRuns() {
			kept += len(r)
		}
	}
	if kept == 0 || uint64(kept)*4 > inflated {
		t.Errorf("the entry keeps %d bytes of .debug_abbrev and .debug_line, of %d inflated: want the units' spans, a small part", kept, inflated)
	}
	// All the units: those of the entry and more.
	second, got := cachedLazyIndex(t, path, cacheDir, addrs)
	if lz := second.lazy; len(lz.abbrev.known) == 0 || len(lz.line.known) == 0 || lz.abbrev.st.pos == 0 || lz.line.st.pos == 0 {
		t.Fatalf("the second reading had %d and %d known spans, and inflated %d and %d bytes of .debug_abbrev and .debug_line; want some of each", len(lz.abbrev.known), len(lz.line.known), lz.abbrev.st.pos, lz.line.st.pos)
	}
	_, want := cachedLazyIndex(t, path, t.TempDir(), addrs)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("with the entry's spans, the answers differ from those without the cache")
	}
}

// TestPrefixSectionKnownSpans: spans the cache gave are held without
// inflating, an inflation past them leaves their bytes alone (a reader may
// be reading them), and what readers used is what the cache keeps.
func TestPrefixSectionKnownSpans(t *testing.T) {
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(i*7 + 1)
	}
	p := newPrefixSection(&sectionStream{name: ".debug_line", plain: true, size: uint64(len(data)), stored: data})
	p.restore(0, data[:100])
	p.restore(200<<10, data[200<<10:201<<10])
	p.restore(150<<10, []byte("cached")) // not the section's bytes: an inflation must not overwrite them
	p.mu.Lock()
	for _, c := range []struct {
		lo, hi uint64
		want   bool
	}{
		{0, 100, true}, {50, 101, false}, {200 << 10, 201 << 10, true}, {200<<10 + 5, 200<<10 + 9, true},
		{200<<10 - 1, 200 << 10, false}, {201<<10 - 1, 201<<10 + 1, false}, {150 << 10, 150<<10 + 6, true},
	} {
		if got := p.covered(c.lo, c.hi); got != c.want {
			t.Errorf("covered(%#x, %#x) = %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
	p.mu.Unlock()
	if err := p.ensureRange(200<<10+10, 200<<10+20); err != nil || p.inflated() != 100 {
		t.Fatalf("ensureRange of a known span: %v, inflated %d, want nil and nothing inflated", err, p.inflated())
	}
	for _, c := range []struct{ pos, want uint64 }{
		{10, 100}, {99, 100}, {200<<10 + 5, 201 << 10}, {150<<10 + 2, 150<<10 + 6}, {200 << 10, 201 << 10},
		{100, 100 + 64<<10}, // not held: inflated, by at least 64 KiB
	} {
		if end, err := p.heldFrom(c.pos); err != nil || end != c.want {
			t.Errorf("heldFrom(%#x) = %#x, %v; want %#x", c.pos, end, err, c.want)
		}
	}
	if _, err := p.heldFrom(uint64(len(data))); err == nil {
		t.Errorf("heldFrom past the section's end: no error")
	}
	if err := p.ensure(250 << 10); err != nil {
		t.Fatal(err)
	}
	if string(p.buf[150<<10:150<<10+6]) != "cached" {
		t.Errorf("the inflation wrote over a known span")
	}
	if !bytes.Equal(p.buf[100:150<<10], data[100:150<<10]) || !bytes.Equal(p.buf[201<<10:250<<10], data[201<<10:250<<10]) {
		t.Errorf("the bytes between the known spans are not the section's")
	}
	p.use(1000, 2000)
	p.use(1500, 2500)
	runs := p.cacheRuns()
	offs := map[uint64]int{}
	for o, r := range runs {
		offs[o] = len(r)
	}
	if len(runs) != 4 || len(runs[1000]) != 1500 || len(runs[150<<10]) != 6 || len(runs[200<<10]) != 1<<10 || len(runs[0]) != 100 {
		t.Errorf("cache runs %v, want the restored spans and the used ones merged", offs)
	}
}
