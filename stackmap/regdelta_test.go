package stackmap

import (
	"math/rand"
	"testing"
)

// TestAdvanceRegs: registers kept as changes read back as they were, frame
// by frame: values that change, registers that become unknown and known
// again, a frame with none known; enough frames to fill several chunks.
func TestAdvanceRegs(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var want []Regs
	s := &Stack{}
	for i := 0; i < 3000; i++ {
		var r Regs
		for n := 0; n < numRegs; n++ {
			if i%50 != 7 && rng.Intn(3) > 0 {
				r.Set(n, uint64(rng.Intn(4)))
			}
		}
		if i == 0 {
			s.Regs = r
		}
		want = append(want, r)
		s.deltas.add(i, &r)
	}
	cur := s.Regs
	for i := 1; i < len(want); i++ {
		s.AdvanceRegs(i, &cur)
		if cur != want[i] {
			t.Fatalf("frame %d: %+v, want %+v", i, cur, want[i])
		}
	}
}

// TestChunked: every element reads back at its index and in flatten, across
// the small first chunk and the full ones after it.
func TestChunked(t *testing.T) {
	for _, n := range []int{0, 1, firstChunkLen, firstChunkLen + 1, firstChunkLen + 2*chunkLen + 5} {
		var c chunked[int]
		for i := 0; i < n; i++ {
			c.add(i)
		}
		flat := c.flatten()
		if c.n != n || len(flat) != n {
			t.Fatalf("%d added: n %d, flatten %d", n, c.n, len(flat))
		}
		for i := 0; i < n; i++ {
			if *c.at(i) != i || flat[i] != i {
				t.Fatalf("%d added: at(%d) = %d, flatten[%d] = %d", n, i, *c.at(i), i, flat[i])
			}
		}
	}
}
