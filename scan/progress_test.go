package scan

import (
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/testfixture"
)

// TestScanProgressNamesTheCurrentCore: the progress callback names the
// core being analyzed (not the one just finished), counts the finished
// ones, and ends with every core done and none current.
func TestScanProgressNamesTheCurrentCore(t *testing.T) {
	dir := t.TempDir()
	var cores []string
	for _, name := range []string{"c-null-call", "c-abort", "c-div-zero"} {
		f := testfixture.Get(t, name)
		p := filepath.Join(dir, name+".zst")
		testfixture.CopyFile(t, f.CoreZst, p)
		cores = append(cores, p)
	}
	type call struct {
		done    int
		current string
	}
	var calls []call
	_, err := Run(Options{Dirs: []string{dir}, Jobs: 1, Core: analyze.Options{Sysroot: testfixture.Sysroot()},
		Progress: func(done, total int, current string) {
			if total != 3 {
				t.Errorf("total %d", total)
			}
			calls = append(calls, call{done, current})
		}})
	if err != nil {
		t.Fatal(err)
	}
	// Sorted paths: c-abort, c-div-zero, c-null-call; with one job each
	// core starts after the one before has finished.
	want := []call{
		{0, cores[1]}, {1, ""},
		{1, cores[2]}, {2, ""},
		{2, cores[0]}, {3, ""},
	}
	if len(calls) != len(want) {
		t.Fatalf("calls %+v, want %+v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d: %+v, want %+v", i, calls[i], want[i])
		}
	}
}
