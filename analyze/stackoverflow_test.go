package analyze

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// TestMainStackGap: below the main stack there is no guard mapping, only
// the kernel's stack_guard_gap (1 MiB), bounded by the next mapping below.
// The guard range reported is that gap, not the page the fault hit up to
// the stack.
func TestMainStackGap(t *testing.T) {
	_, r := analyzeFixture(t, "c-recursion")
	d := r.Diagnosis[0]
	so := d.StackOverflow
	if so == nil || so.Stack.Kind != "main" || !so.Stack.Gap {
		t.Fatalf("diagnosis: %+v", d)
	}
	below := uint64(0)
	for _, m := range r.Mappings {
		if m.End <= so.Stack.Start {
			below = uint64(m.End)
		}
	}
	want := max(uint64(so.Stack.Start)-1<<20, below)
	if uint64(so.Stack.GuardStart) != want || so.Stack.GuardEnd != so.Stack.Start {
		t.Errorf("gap [%#x–%#x), want [%#x–%#x)", uint64(so.Stack.GuardStart), uint64(so.Stack.GuardEnd), want, uint64(so.Stack.Start))
	}
	if text := strings.Join(d.Explanation, "\n"); !strings.Contains(text, "The kernel keeps a 1 MiB gap (stack_guard_gap") {
		t.Errorf("explanation does not name stack_guard_gap:\n%s", text)
	}
}

// TestRecursionFirstFrame: a run that starts at frame #0 says so in JSON
// ("first": 0 was dropped by omitempty).
func TestRecursionFirstFrame(t *testing.T) {
	t.Parallel()
	_, r := analyzeFixture(t, "c-threads")
	so := r.Diagnosis[0].StackOverflow
	if so == nil || len(so.Recursion) == 0 || so.Recursion[0].First != 0 {
		t.Fatalf("diagnosis: %+v", r.Diagnosis[0])
	}
	b, err := json.Marshal(so.Recursion[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"first":0`) {
		t.Errorf("recursion run without first: %s", b)
	}
}

// TestSegmentWithoutStacker: a segment that no psm or stacker frame
// switched to does not get the stacker story, in the explanation or the
// hints.
func TestSegmentWithoutStacker(t *testing.T) {
	so := &report.StackOverflow{
		Stack:   report.StackExtent{Kind: "segment", Start: 0x7f0000101000, End: 0x7f0000201000, GuardStart: 0x7f0000100000, GuardEnd: 0x7f0000101000},
		Frame:   report.FrameNeed{Function: "coro_body", Size: 4200},
		Segment: &report.SegmentExtent{SwitchFrame: 12, SwitchFunction: "swapcontext", Top: 0x7f0000200000},
	}
	_, more := so.Explain(7)
	hints := (&analysis{}).overflowHints(so, &report.Thread{Frames: []report.Frame{{Function: "coro_body"}, {Function: "swapcontext"}}})
	for _, line := range append(more, hints...) {
		if strings.Contains(line, "stacker") || strings.Contains(line, "psm") {
			t.Errorf("stacker story without a stacker frame: %s", line)
		}
	}
	if !strings.Contains(strings.Join(more, "\n"), "#12 (swapcontext)") {
		t.Errorf("the switch is not named: %q", more)
	}
}

// TestStackSegmentNeedsGuard: a mapping a thread's frames switch to is a
// stack-segment only with a PROT_NONE page right below it; without one it
// is stack-unguarded.
func TestStackSegmentNeedsGuard(t *testing.T) {
	const page = 4096
	home := &corefile.Mapping{Start: 0x7f0000800000, End: 0x7f0000900000, Perm: corefile.PermR | corefile.PermW}
	homeGuard := &corefile.Mapping{Start: home.Start - page, End: home.Start}
	guarded := &corefile.Mapping{Start: 0x7f0000401000, End: 0x7f0000502000, Perm: corefile.PermR | corefile.PermW}
	guard := &corefile.Mapping{Start: guarded.Start - page, End: guarded.Start}
	bare := &corefile.Mapping{Start: 0x7f0000100000, End: 0x7f0000200000, Perm: corefile.PermR | corefile.PermW}
	c := &corefile.File{
		Mappings: []*corefile.Mapping{bare, guard, guarded, homeGuard, home},
		Threads:  []*corefile.Thread{{TID: 7}, {TID: 8}},
	}
	s := &Session{Core: c}
	// Thread 7 runs on bare (innermost) from its own stack; thread 8
	// on guarded.
	stacks := []*stackmap.Stack{
		{Frames: []stackmap.Frame{{SP: bare.End - 0x100}, {SP: home.End - 0x200}}},
		{Frames: []stackmap.Frame{{SP: guarded.End - 0x100}, {SP: home.End - 0x100}}},
	}
	mm := s.buildMemoryMap(stacks)
	for _, tt := range []struct {
		m    *corefile.Mapping
		role report.Role
	}{
		{bare, report.RoleStackUnguarded},
		{guarded, report.RoleStackSegment},
		{guard, report.RoleGuard},
		{home, report.RoleStack},
	} {
		if got := mm.role(tt.m); got != tt.role {
			t.Errorf("[%#x–%#x): role %s, want %s", tt.m.Start, tt.m.End, got, tt.role)
		}
	}
}

// TestMainStackGapEdge: one rule says where the kernel's gap below the main
// stack ends; whatis, the diagnosis and its explanation all follow it (an
// address just inside the gap is in it, one a page below its end is not).
func TestMainStackGapEdge(t *testing.T) {
	f := testfixture.Get(t, "c-recursion")
	s, err := Open(f.CoreZst, options(f))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	so := r.Diagnosis[0].StackOverflow
	lo := uint64(so.Stack.GuardStart)
	if in := s.WhatIs(lo, r); !strings.Contains(in.Where, "stack_guard_gap") {
		t.Errorf("%#x, the gap's lowest byte: %s", lo, in.Where)
	}
	if out := s.WhatIs(lo-4096, r); strings.Contains(out.Where, "stack_guard_gap") {
		t.Errorf("%#x, a page below the gap: %s", lo-4096, out.Where)
	}
}

// TestStackerFunction: psm's and stacker's functions by their name
// prefixes; look-alikes that merely contain the letters are not.
func TestStackerFunction(t *testing.T) {
	for name, want := range map[string]bool{
		"rust_psm_on_stack":            true,
		"rust_psm_replace_stack":       true,
		"psm::on_stack::with_on_stack": true,
		"stacker::grow":                true,
		"stacker::maybe_grow::<u8>":    true,
		"<psm::StackRestoreGuard as core::ops::drop::Drop>::drop": true,
		"upsmtp::send":        false,
		"psmith::run":         false,
		"my_psm::on_stack":    false,
		"__rust_psm_on_stack": false,
		"stackers::grow":      false,
		"":                    false,
	} {
		if got := stackerFunction(name); got != want {
			t.Errorf("stackerFunction(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestStackerSwitch: one rule says whether a stack switch was stacker's,
// for both the stack-overflow and the stack-segments diagnoses.
func TestStackerSwitch(t *testing.T) {
	names := func(fs ...string) []report.Frame {
		out := make([]report.Frame, len(fs))
		for i, f := range fs {
			out[i] = report.Frame{Index: i, Function: f}
		}
		return out
	}
	cases := []struct {
		name   string
		frames []report.Frame
		at     int
		want   bool
	}{
		{"psm switches", names("parse_expr", "psm::on_stack::with_on_stack", "rust_psm_on_stack", "parse_file"), 3, true},
		{"stacker::grow above", names("f", "g", "stacker::grow", "h"), 1, true},
		{"a user function named like it", names("f", "my_stacker_pool::run", "swapcontext", "main"), 2, false},
		{"psm far from the switch", names("rust_psm_on_stack", "a", "b", "c", "d", "e"), 5, false},
		{"a function with psm inside its name", names("f", "upsmtp::send", "swapcontext", "main"), 2, false},
		{"a crate ending in psm", names("f", "libpsm::on_stack", "swapcontext", "main"), 2, false},
		{"a trait method of stacker's type", names("f", "<stacker::StackRestoreGuard as core::ops::drop::Drop>::drop", "g"), 1, true},
	}
	for _, c := range cases {
		if got := stackerSwitch(c.frames, c.at); got != c.want {
			t.Errorf("%s: stackerSwitch = %v, want %v", c.name, got, c.want)
		}
	}
}
