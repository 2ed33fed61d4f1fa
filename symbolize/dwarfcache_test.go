package symbolize

import (
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
