package report

import (
	"reflect"
	"testing"
)

// TestCrashStack: the locations are the signature's frames (past the
// signal frame, without abort machinery, C library frames, start-up frames
// or unnamed ones, a recursion once), each with its module, offset and the
// source line that was running (the innermost inlined call's).
func TestCrashStack(t *testing.T) {
	r := &Report{Threads: []Thread{
		{TID: 1, Frames: FrameList{{Index: 0, Function: "idle", Module: "prog"}}},
		{TID: 2, Crashed: true, Frames: FrameList{
			{Index: 0, Function: "__pthread_kill_implementation", Module: "libc.so.6"},
			{Index: 1, Function: "raise", Module: "libc.so.6"},
			{Index: 2, Signal: true},
			{Index: 3, Function: "abort", Module: "libc.so.6"},
			{Index: 4, Function: "check", Module: "prog", ModuleOffset: 0x1234, File: "/src/check.c", Line: 10,
				Inlined: []Frame{{Index: 4, Function: "verify", File: "/src/verify.h", Line: 3, Column: 5, Inline: true, Method: MethodInline}}},
			{Index: 5, Function: "walk", Module: "prog", File: "/src/walk.c", Line: 20},
			{Index: 6, Function: "walk", Module: "prog", File: "/src/walk.c", Line: 21},
			{Index: 7, Module: "libfoo.so", ModuleOffset: 0x10},
			{Index: 8, Function: "main", Module: "prog", File: "/src/main.c", Line: 5},
			{Index: 9, Function: "__libc_start_main", Module: "libc.so.6"},
			{Index: 10, Function: "_start", Module: "prog"},
		}},
	}}
	want := []Location{
		{Function: "check", Module: "prog", ModuleOffset: 0x1234, File: "/src/verify.h", Line: 3, Column: 5, Frame: 4},
		{Function: "walk", Module: "prog", File: "/src/walk.c", Line: 20, Frame: 5},
		// An unnamed frame in a module is module+offset, the same in
		// every run of one build.
		{Function: "libfoo.so+0x10", Module: "libfoo.so", ModuleOffset: 0x10, Frame: 7},
		{Function: "main", Module: "prog", File: "/src/main.c", Line: 5, Frame: 8},
	}
	if got := r.CrashStack(5); !reflect.DeepEqual(got, want) {
		t.Errorf("CrashStack:\n got %+v\nwant %+v", got, want)
	}
	if got := r.CrashStack(1); len(got) != 1 || got[0].Frame != 4 {
		t.Errorf("CrashStack(1) = %+v", got)
	}
	if got := r.MeaningfulFrames(5); !reflect.DeepEqual(got, []string{"check", "walk", "libfoo.so+0x10", "main"}) {
		t.Errorf("MeaningfulFrames = %q", got)
	}
	// A tail-call frame rebuilt before a physical one is not the line
	// running there: the physical frame's own position stays.
	r.Threads[1].Frames[5].Inlined = []Frame{{Index: 5, Function: "walk_tail", File: "/src/tail.c", Line: 9, Method: MethodTailCall}}
	if got := r.CrashStack(5); got[1].File != "/src/walk.c" || got[1].Line != 20 {
		t.Errorf("with a tail-call frame: %+v", got[1])
	}
	// Nothing meaningful (C library frames only): the faulting frame's
	// module alone.
	r.Threads[1].Frames = FrameList{{Index: 0, Function: "raise", Module: "libc.so.6"}, {Index: 1, Function: "abort", Module: "libc.so.6"}}
	if got := r.CrashStack(5); len(got) != 1 || got[0].Function != "raise" || got[0].Frame != 0 {
		t.Errorf("nothing meaningful: %+v", got)
	}
	if got := r.MeaningfulFrames(5); len(got) != 1 || got[0] != "libc.so.6" {
		t.Errorf("nothing meaningful: signature frames %q", got)
	}
	r.Threads[1].Crashed = false
	if r.CrashStack(5) != nil {
		t.Error("locations without a crashed thread")
	}
}
