package symbolize

import (
	"bytes"
	"testing"
)

// TestCompareNames: compareNames orders names as bytes.Compare of
// nameBytes does, including a prefix, equal names in two tables, a name
// that runs to the end of its table without a NUL, and an offset past it.
func TestCompareNames(t *testing.T) {
	st := &symtab{strtabs: [][]byte{
		[]byte("\x00raise\x00gsignal\x00abc\x00abcd\x00"),
		[]byte("\x00raise\x00abc"),
	}}
	syms := []sym{
		{name: 1}, {name: 7}, {name: 15}, {name: 19},
		{name: 1, tab: 1}, {name: 7, tab: 1}, {name: 99, tab: 1}, {name: 0},
	}
	for _, a := range syms {
		for _, b := range syms {
			want := bytes.Compare(st.nameBytes(a), st.nameBytes(b))
			if got := st.compareNames(a, b); got != want {
				t.Errorf("%q vs %q: %d, want %d", st.nameBytes(a), st.nameBytes(b), got, want)
			}
		}
	}
}
