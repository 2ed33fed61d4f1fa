package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
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
	if fault.Mapping == nil || fault.Mapping.Role != RoleGuard || !strings.Contains(fault.Where, "guard page of a stack segment") {
		t.Errorf("fault address: %+v", fault)
	}
	// The return-address slot of frame #1 lies in frame #1's own frame
	// on the segment.
	fr := r.Threads[0].Frames[1]
	slot := s.WhatIs(uint64(fr.CFA)-8, r)
	if slot.Mapping == nil || slot.Mapping.Role != RoleStackSegment || len(slot.Frames) == 0 || !strings.Contains(slot.Frames[0], "frame #1 ") {
		t.Errorf("stack slot: %+v", slot)
	}
	code := s.WhatIs(uint64(fr.PC), r)
	if code.Function != "segstack::parse_expr" || code.Mapping == nil || code.Mapping.Role != RoleText {
		t.Errorf("code address: %+v", code)
	}
}
