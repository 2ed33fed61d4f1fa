package analyze

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/symbolize"
)

// TestDebuginfodLoadBesideWalks analyzes c-inline with libweights.so (where
// it crashed) stripped of .symtab, its debug file fetched from debuginfod.
// The library's symbol table starts loading beside the walks (unwindAll);
// the fetch replaces a table read without the debug file, so it must come
// after that load, never during it: a load that began before the fetch and
// ended after FetchDebug looked would keep a table without the debug
// file's symbols. Under -race the overlap is reported whenever the two are
// not ordered (the load reads m.remote, FetchDebug writes it).
func TestDebuginfodLoadBesideWalks(t *testing.T) {
	strip := testfixture.Tool(t, "strip")
	objcopy := testfixture.Tool(t, "objcopy")
	f := testfixture.Get(t, "c-inline")
	const libBuildID = "aa68c7e0063795b75267716c6f72a8cdc0a8fc72"
	lib := filepath.Join(f.Dir, "libweights.so")
	served := t.TempDir()
	if out, err := exec.Command(objcopy, "--only-keep-debug", lib, filepath.Join(served, "libweights.debug")).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	url := startDebuginfod(t, served, libBuildID)
	dir := t.TempDir()
	if out, err := exec.Command(strip, "-s", "-o", filepath.Join(dir, "libweights.so"), lib).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, out)
	}
	testfixture.CopyFile(t, f.Binary, filepath.Join(dir, "prog"))
	cache := t.TempDir()
	// The second run fetches from debuginfod's cache, at once.
	for i := range 2 {
		opts := Options{Binary: filepath.Join(dir, "prog"), Sysroot: testfixture.Sysroot(), SearchPaths: []string{dir},
			Debuginfod: &symbolize.Debuginfod{URLs: []string{url}, CacheDir: cache, Timeout: 10 * time.Second}}
		r, err := Analyze(f.CoreZst, opts)
		if err != nil {
			t.Fatal(err)
		}
		via := ""
		for _, m := range r.Modules {
			if filepath.Base(m.Path) == "libweights.so" {
				via = m.DebugVia
			}
		}
		if via != "debuginfod" {
			t.Fatalf("run %d: libweights.so's debug file via %q, want debuginfod", i, via)
		}
		if fr := r.Threads[0].Frames[0]; fr.Symbol != "by_weight" || filepath.Base(fr.File) != "weights.c" {
			t.Errorf("run %d: frame 0 is %s at %s:%d, want by_weight in weights.c", i, fr.Symbol, fr.File, fr.Line)
		}
	}
}
