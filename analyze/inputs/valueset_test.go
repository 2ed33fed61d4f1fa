package inputs

import (
	"math/rand/v2"
	"testing"
)

// TestValueSet: the set Find keeps its rejected values in answers as a
// map does, through its growths, for values that collide in its hash and
// for the extremes.
func TestValueSet(t *testing.T) {
	var s valueSet
	want := map[uint64]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var v uint64
		switch i % 4 {
		case 0:
			v = rng.Uint64()
		case 1:
			v = 0x7ffc00000000 + uint64(rng.IntN(1<<16))*8 // stack addresses
		case 2:
			v = uint64(i) << 58 // the same low bits
		default:
			v = []uint64{0, 1, ^uint64(0) - 1}[i%3]
		}
		s.add(v)
		want[v] = true
	}
	s.add(^uint64(0)) // no address: never kept
	for v := range want {
		if !s.has(v) {
			t.Fatalf("%#x added, not found", v)
		}
	}
	if s.has(^uint64(0)) {
		t.Error("^0 found")
	}
	for i := 0; i < 20000; i++ {
		if v := rng.Uint64(); !want[v] && s.has(v) {
			t.Fatalf("%#x found, never added", v)
		}
	}
	if s.n != len(want) {
		t.Errorf("%d values kept, want %d", s.n, len(want))
	}
}
