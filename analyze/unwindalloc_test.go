package analyze

import (
	"runtime"
	"testing"

	"github.com/coreview/coreview/stackmap"
)

// TestUnwindMemoryPerFrame: walking the 3,129-frame crashed thread of the
// stacker fixture (a stack that switches segments, so the cycle check's
// map is built) allocates at most 200 bytes a frame, rows cached (the
// second walk, as every thread but the first of one analysis walks). Before
// the walk stopped keeping every frame's registers and copying buffers
// through the Memory interface it took about 1,150.
func TestUnwindMemoryPerFrame(t *testing.T) {
	s := openFixture(t, "stacker-segment")
	defer s.Close()
	regs := threadRegs(s.Core.Threads[0])
	stackmap.Unwind(s.Mem, s.code, regs, stackmap.Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	st := stackmap.Unwind(s.Mem, s.code, regs, stackmap.Options{})
	runtime.ReadMemStats(&after)
	if len(st.Frames) < 3000 {
		t.Fatalf("%d frames, want the fixture's 3,129", len(st.Frames))
	}
	perFrame := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(st.Frames))
	t.Logf("%.0f bytes a frame over %d frames", perFrame, len(st.Frames))
	if perFrame > 200 {
		t.Errorf("%.0f bytes allocated a frame, want at most 200", perFrame)
	}
}
