package report

import (
	"strings"
	"testing"
)

// TestOverflowFrameSentence: the sentence about the frame that did not fit
// reads right for an 80-byte frame whose pushes reached the stack's lowest
// byte (perl's Data::Dumper recursion on a 2 MiB main stack: "a 80-byte",
// "0 bytes above"), and for a stack pointer above or below it.
func TestOverflowFrameSentence(t *testing.T) {
	base := StackOverflow{Stack: StackExtent{Start: 0x7000, End: 0x9000, GuardStart: 0x6000, GuardEnd: 0x7000, Kind: StackThread},
		FaultAddress: 0x6ff8, Depth: 3}
	for _, c := range []struct {
		sp   Addr
		size int64
		want string
	}{
		{0x7000, 80, "f needed an 80-byte frame with only 32 bytes left (its stack pointer 0x7000 is at the stack's lowest byte)."},
		{0x7010, 288, "f needed a 288-byte frame with only 32 bytes left (its stack pointer 0x7010 is 16 bytes above the stack's lowest byte)."},
		{0x6f00, 11000, "f needed an 11,000-byte frame with only 32 bytes left (its stack pointer 0x6f00 is already 256 bytes below the stack's lowest byte)."},
		// The frame fit; its call's return address did not (python's
		// PyList_New calling _PyObject_GC_New at the stack's lowest byte).
		{0x7000, 32, "f's 32-byte frame fit in the 32 bytes left; the fault at 0x6ff8 is 8 bytes below its stack pointer 0x7000 (at the stack's lowest byte): a push or a call of its own."},
	} {
		so := base
		so.SP, so.Remaining = c.sp, 32
		so.Frame = FrameNeed{Function: "f", Size: c.size}
		_, more := so.Explain(1)
		if !strings.Contains(strings.Join(more, "\n"), c.want) {
			t.Errorf("want %q in %q", c.want, more)
		}
	}
	for n, want := range map[string]string{"8": "an", "80": "an", "800": "an", "11": "an", "18": "an", "11,000": "an", "110,000": "a", "1,100": "a", "288": "a", "1": "a"} {
		if got := article(n); got != want {
			t.Errorf("article(%q) = %q, want %q", n, got, want)
		}
	}
}
