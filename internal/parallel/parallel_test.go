package parallel

import (
	"sync/atomic"
	"testing"
)

// TestEach calls every index once, for no calls, one and many more than
// there are goroutines.
func TestEach(t *testing.T) {
	for _, n := range []int{0, 1, 2, 100} {
		counts := make([]atomic.Int32, n)
		Each(n, func(i int) { counts[i].Add(1) })
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Errorf("n=%d: f(%d) called %d times", n, i, c)
			}
		}
	}
}
