package analyze

import (
	"fmt"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// TestWhatIs asks what the stacker fixture's fault address, a stack slot
// and a code address are, as mdb's ::whatis answered them by hand in the
// Oxide story.
func TestWhatIs(t *testing.T) {
	f := testfixture.Get(t, "stacker-segment")
	s, err := Open(f.CoreZst, options(f))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	so := r.Diagnosis[0].StackOverflow
	if so == nil {
		t.Fatalf("no stack overflow: %+v", r.Diagnosis)
	}
	fault := s.WhatIs(uint64(so.FaultAddress), r)
	// The range named is the guard's, and the distance is from the
	// segment's lowest byte, which the fault lies below.
	want := fmt.Sprintf("in the guard page [%#x–%#x) below the stack segment [%#x–%#x) of thread %d, %s below the segment's lowest byte",
		uint64(so.Stack.GuardStart), uint64(so.Stack.GuardEnd), uint64(so.Stack.Start), uint64(so.Stack.End), r.Diagnosis[0].Thread, report.Distance(uint64(so.Stack.Start-so.FaultAddress)))
	if fault.Mapping == nil || fault.Mapping.Role != report.RoleGuard || fault.Where != want {
		t.Errorf("fault address: %+v\nwant where: %s", fault, want)
	}
	// The return-address slot of frame #1 lies in frame #1's own frame
	// on the segment.
	fr := r.CrashedThread().Frames[1]
	slot := s.WhatIs(uint64(fr.CFA)-8, r)
	if slot.Mapping == nil || slot.Mapping.Role != report.RoleStackSegment || len(slot.Frames) == 0 || slot.Frames[0].Index != 1 {
		t.Errorf("stack slot: %+v", slot)
	}
	// rust_psm_on_stack's SP is on the segment and its CFA on the
	// thread's own stack, 8 MiB up: its [SP, CFA) spans the top page of
	// the segment, the thread stack's guard page and most of the thread
	// stack, none of which is its frame.
	var psm report.Frame
	for _, f := range r.CrashedThread().Frames {
		if f.Function == "rust_psm_on_stack" {
			psm = f
		}
	}
	if psm.Function == "" {
		t.Fatal("no rust_psm_on_stack frame")
	}
	for _, addr := range []uint64{uint64(psm.SP) + 0x800, uint64(psm.SP) + 0x1800, uint64(psm.CFA) - 0x10000} {
		w := s.WhatIs(addr, r)
		for _, f := range w.Frames {
			if f.Function == "rust_psm_on_stack" {
				t.Errorf("%#x (%s) attributed to the frame that switches stacks: %s", addr, w.Where, f)
			}
		}
	}
	code := s.WhatIs(uint64(fr.PC), r)
	if code.Function != "segstack::parse_expr" || code.Mapping == nil || code.Mapping.Role != report.RoleText {
		t.Errorf("code address: %+v", code)
	}
}

// TestStackSwitchBytes: on the stacker fixture, the frames' stack use adds
// up to no more than what the stack-segments diagnosis measured on the two
// stacks. rust_psm_on_stack's CFA − SP is the 8 MiB distance between the
// segment and the thread's stack; counting it made it the top consumer.
func TestStackSwitchBytes(t *testing.T) {
	_, r := analyzeFixture(t, "stacker-segment")
	var so *report.StackOverflow
	var segs *report.StackSegments
	for _, d := range r.Diagnosis {
		if d.StackOverflow != nil {
			so = d.StackOverflow
		}
		if d.StackSegments != nil {
			segs = d.StackSegments
		}
	}
	if so == nil || segs == nil {
		t.Fatalf("diagnoses: %+v", r.Diagnosis)
	}
	var used, counted uint64
	for _, sg := range segs.Segments {
		used += sg.BytesUsed
	}
	for _, fb := range so.TopConsumers {
		counted += fb.Bytes
		if fb.Function == "rust_psm_on_stack" && fb.Bytes != 0 {
			t.Errorf("rust_psm_on_stack uses %d bytes; its SP and CFA are on different stacks", fb.Bytes)
		}
	}
	// The faulting frame counts as the frame it needed, which may be
	// more than it had allocated.
	if counted > used+uint64(so.Frame.Size) {
		t.Errorf("top consumers add up to %d bytes; the stacks hold %d", counted, used)
	}
}

// TestDistance: byte distances read exactly when small and in binary units
// when large, up to a wild pointer's terabytes.
func TestDistance(t *testing.T) {
	cases := []struct {
		n    uint64
		want string
	}{
		{1, "1 byte"},
		{4000, "4,000 bytes"},
		{1 << 20, "1 MiB"},
		{1028 << 10, "1028 KiB"},
		{(3 << 30) + (1 << 29), "3.5 GiB"},
		{8 << 30, "8 GiB"},
		{0x55dd53f88000 - 0x40000000, "85.9 TiB"},
	}
	for _, c := range cases {
		if got := report.Distance(c.n); got != c.want {
			t.Errorf("report.Distance(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// TestWhatIsSource: a code address with DWARF says where it is in the
// source, the inlined calls first — the same chain as the crashed frame
// (which TestUnwindMatchesGDB checks against gdb).
func TestWhatIsSource(t *testing.T) {
	f := testfixture.Get(t, "c-inline")
	s, err := Open(f.CoreZst, options(f))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	f0 := r.CrashedThread().Frames[0]
	w := s.WhatIs(uint64(f0.PC), r)
	if len(w.Source) != len(f0.Inlined)+1 || len(f0.Inlined) == 0 {
		t.Fatalf("source %q for a frame with %d inlined calls", w.Source, len(f0.Inlined))
	}
	for i, in := range f0.Inlined {
		if want := fmt.Sprintf("%s at %s:%d", in.Function, in.File, in.Line); w.Source[i].String() != want || !w.Source[i].Inlined {
			t.Errorf("source[%d] = %q, want %q", i, w.Source[i], want)
		}
	}
	if want := fmt.Sprintf("%s at %s:%d", f0.Function, f0.File, f0.Line); w.Source[len(w.Source)-1].String() != want || w.Source[len(w.Source)-1].Inlined {
		t.Errorf("source = %q, want last %q", w.Source, want)
	}
}
