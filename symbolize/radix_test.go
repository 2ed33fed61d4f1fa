package symbolize

import (
	"math/rand"
	"sort"
	"testing"
)

func TestRadixSortByAddr(t *testing.T) {
	for _, n := range []int{0, 1, 5, 255, 256, 10000} {
		syms := make([]sym, n)
		r := rand.New(rand.NewSource(int64(n)))
		for i := range syms {
			// Few distinct high digits, many duplicates: like a library.
			syms[i] = sym{addr: 0x7f0000000000 + uint64(r.Intn(n+1))*16, name: uint32(i)}
		}
		want := append([]sym(nil), syms...)
		sort.SliceStable(want, func(i, j int) bool { return want[i].addr < want[j].addr })
		radixSortByAddr(syms)
		for i := range syms {
			if syms[i] != want[i] {
				t.Fatalf("n=%d: element %d = %+v, want %+v (not a stable sort by address)", n, i, syms[i], want[i])
			}
		}
	}
}
