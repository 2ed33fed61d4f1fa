package symbolize

import (
	"slices"
	"testing"
)

// TestCandidatesBesideBinary: a library is looked for, after everything
// else, in the directory of --binary (where $ORIGIN libraries are
// deployed), sysroot or not; the executable itself is not.
func TestCandidatesBesideBinary(t *testing.T) {
	tab := &Table{}
	opts := Options{ExePath: "/build/app/prog", Binary: "/deploy/app/prog", Sysroot: "/srv/root", SearchPaths: []string{"/extra"}}
	lib := &Module{Path: "/build/app/libweights.so"}
	got := tab.candidates(lib, opts)
	want := []string{"/extra/libweights.so", "/srv/root/build/app/libweights.so", "/deploy/app/libweights.so"}
	if !slices.Equal(got, want) {
		t.Errorf("library candidates %q, want %q", got, want)
	}
	exe := &Module{Path: "/build/app/prog"}
	got = tab.candidates(exe, opts)
	want = []string{"/deploy/app/prog", "/extra/prog", "/srv/root/build/app/prog"}
	if !slices.Equal(got, want) {
		t.Errorf("executable candidates %q, want %q", got, want)
	}
	// A library whose NT_FILE path is already beside the binary is tried
	// once.
	opts.Sysroot = ""
	beside := &Module{Path: "/deploy/app/libweights.so"}
	if got := tab.candidates(beside, opts); !slices.Equal(got, []string{"/extra/libweights.so", "/deploy/app/libweights.so"}) {
		t.Errorf("candidates %q", got)
	}
}
