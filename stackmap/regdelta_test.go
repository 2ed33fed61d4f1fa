package stackmap

import (
	"math/rand"
	"testing"
)

// TestAdvanceRegs: registers kept as changes read back as they were, frame
// by frame: values that change, registers that become unknown and known
// again, a frame with none known.
func TestAdvanceRegs(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var want []Regs
	s := &Stack{}
	for i := 0; i < 500; i++ {
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
