package scan

import (
	"os"
	"path/filepath"
	"sort"
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
	// The largest core first (TestLargestFirst); with one job each core
	// starts after the one before has finished.
	sorted := append([]string(nil), cores...)
	sort.Strings(sorted)
	sort.SliceStable(sorted, func(i, j int) bool { return fileSize(t, sorted[i]) > fileSize(t, sorted[j]) })
	var want []call
	for i, p := range sorted {
		want = append(want, call{i, p}, call{i + 1, ""})
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

func fileSize(t *testing.T, p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
