package symbolize

import (
	"debug/dwarf"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/internal/diskcache"
)

// TestDWARFCacheEntryShrinksBeforeSave: the runs a cache entry gave stay in
// its mapping (diskcache.Get), and the save that writes what was inflated
// beside them runs on a goroutine of its own (PrepareSource). An entry
// file that shrinks underneath (truncated by hand, a disk tool) must cost
// the save, not kill the process with SIGBUS. The reading runs in a child
// process: a fault outside a guard is fatal, not a panic.
func TestDWARFCacheEntryShrinksBeforeSave(t *testing.T) {
	if os.Getenv("COREVIEW_TEST_SHRUNK_ENTRY") == "" {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, "-test.run=^TestDWARFCacheEntryShrinksBeforeSave$", "-test.v")
		cmd.Env = append(os.Environ(), "COREVIEW_TEST_SHRUNK_ENTRY=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the save died on the shrunk entry (%v):\n%s", err, out)
		}
		return
	}
	path := copyDebugFile(t)
	cacheDir := t.TempDir()
	addrs := someAddrs(t, path)
	// The first reading caches half the units.
	cachedLazyIndex(t, path, cacheDir, addrs[:len(addrs)/2])
	ents, _ := filepath.Glob(filepath.Join(cacheDir, "*.cve"))
	if len(ents) != 1 {
		t.Fatalf("%d cache entries, want 1", len(ents))
	}
	// The second takes those from the entry and inflates the rest.
	ef, mm := mappedELF(t, path)
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	data := func(s *elf.Section) []byte { return sectionData(mm, s) }
	key := dwarfCacheKey(fh, path, "93ac61ec5a8eb1396f9fbd350e3169a558528a40")
	cache := diskcache.Open(cacheDir, 0)
	defer cache.Close()
	ix, ok, err := openLazyIndex(ef, mm, data, path, nil, cache, key)
	if err != nil || !ok {
		t.Fatalf("openLazyIndex: ok %v, %v", ok, err)
	}
	if len(ix.lazy.info.cached) == 0 {
		t.Fatal("no units from the entry: the case tests nothing")
	}
	var offs []dwarf.Offset
	for _, a := range addrs {
		if off, ok := ix.unitFor(a); ok {
			offs = append(offs, off)
		}
	}
	ix.want(offs)
	if !ix.lazy.dirty.Load() {
		t.Fatal("nothing new inflated: the save would write nothing")
	}
	if err := os.Truncate(ents[0], 0); err != nil {
		t.Fatal(err)
	}
	// As PrepareSource starts it: on a goroutine of its own.
	done := make(chan struct{})
	go func() {
		defer close(done)
		ix.lazy.save()
	}()
	<-done
}
