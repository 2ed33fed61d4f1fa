package symbolize

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coreview/coreview/internal/diskcache"
	"github.com/coreview/coreview/internal/testfixture"
)

// cacheModule opens path as a module whose finder has the cache in dir and
// the fixture sysroot's debug directory.
func cacheModule(t *testing.T, path, dir string) *Module {
	t.Helper()
	m := openModuleFile(t, path, &debugFinder{dirs: []string{filepath.Join(testfixture.Sysroot(), "usr/lib/debug")}, cache: diskcache.Open(dir, 0)})
	m.BuildID = fileBuildID(m.elf)
	return m
}

// TestSymtabCache: a module's symbol index read back from the cache is the
// one read from its files: the fixture sysroot's stripped libc (its .symtab
// from libc6-dbg's debug file, so the key covers both files) and a program
// with its own .symtab. A corrupt entry is not used.
func TestSymtabCache(t *testing.T) {
	for _, path := range []string{
		filepath.Join(testfixture.Sysroot(), "usr/lib/x86_64-linux-gnu/libc.so.6"),
		filepath.Join(testfixture.Root(), "testdata/cores/c-threads/prog"),
	} {
		dir := t.TempDir()
		first := cacheModule(t, path, dir)
		want := first.readSymtab()
		first.finder.saves.Wait() // the entry is written beside the analysis
		if len(want.funcs) < 10 {
			t.Fatalf("%s: %d functions", path, len(want.funcs))
		}
		ents, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(ents) != 1 {
			t.Fatalf("%s: %d cache entries, want 1", path, len(ents))
		}
		before, err := os.Stat(ents[0])
		if err != nil {
			t.Fatal(err)
		}
		second := cacheModule(t, path, dir)
		got := second.readSymtab()
		second.finder.saves.Wait()
		// A miss writes the entry again (a new file renamed into place):
		// the same file proves the second index came from the cache.
		if after, err := os.Stat(ents[0]); err != nil || !os.SameFile(before, after) {
			t.Errorf("%s: the second reading did not use the cache entry (%v)", path, err)
		}
		// Lookups search the entry's encoded functions in place.
		if got.encFuncs == nil || got.nfuncs() != len(want.funcs) {
			t.Fatalf("%s: the cached functions are not searched in place (%d of %d)", path, got.nfuncs(), len(want.funcs))
		}
		for i, f := range want.funcs {
			if got.funcAt(i) != f || got.funcAddr(i) != f.addr {
				t.Fatalf("%s: function %d in place is %+v, want %+v", path, i, got.funcAt(i), f)
			}
		}
		if !slices.Equal(got.allFuncs(), want.funcs) || !slices.Equal(got.objects, want.objects) || !slices.Equal(got.tls, want.tls) || got.ownSymtab != want.ownSymtab || len(got.strtabs) != len(want.strtabs) {
			t.Errorf("%s: the cached index differs from the one read", path)
		}
		// Names pointing past their string table: refused.
		var bad []byte
		bad = encodeSyms(append(bad, 0), []sym{{addr: 1, name: 1 << 30}})
		bad = encodeSyms(bad, nil)
		bad = encodeSyms(bad, nil)
		if _, ok := cachedSymtabBytes(bad, want.strtabs, false); ok {
			t.Error("an entry naming past the string table was used")
		}
	}
}
