package stackmap

import "testing"

// TestResume: a walk resumed from other registers (a Go goroutine's saved
// context) lists the new walk's frames after the old ones, the first
// marked MethodGoroutine, with each frame's registers as the new walk had
// them, ends as the new walk ends, and counts MaxFrames over both.
func TestResume(t *testing.T) {
	cfi, err := NewCFI(Sections{DebugFrame: debugFrame})
	if err != nil {
		t.Fatal(err)
	}
	code := cfiCode{cfi}
	// At 0x1000, the function's entry, the return address is at [rsp]:
	// 0 ends each walk after its frame.
	mem := fakeMem{0x7000: 0, 0x9000: 0}
	var a, b Regs
	a.Set(RIP, 0x1000)
	a.Set(RSP, 0x7000)
	a.Set(RBX, 1)
	b.Set(RIP, 0x1000)
	b.Set(RSP, 0x9000)
	b.Set(RBX, 2)
	st := Unwind(mem, code, a, Options{})
	if len(st.Frames) != 1 {
		t.Fatalf("%d frames before the resume, want 1", len(st.Frames))
	}
	st.End, st.EndDetail = EndOfStack, "stand-in for runtime.systemstack"
	if !st.Resume(mem, code, b, Options{}) {
		t.Fatal("not resumed")
	}
	if len(st.Frames) != 2 || st.Frames[1].Method != MethodGoroutine || st.Frames[1].SP != 0x9000 || st.Frames[0].SP != 0x7000 {
		t.Fatalf("frames %+v", st.Frames)
	}
	if st.End != EndOfStack || st.EndDetail != "return address is 0" {
		t.Errorf("ends %s (%s), want the resumed walk's end", st.End, st.EndDetail)
	}
	for i, want := range []uint64{1, 2} {
		r := st.RegsAt(i)
		if v, ok := r.Get(RBX); !ok || v != want {
			t.Errorf("frame %d: rbx %d (%v), want %d", i, v, ok, want)
		}
	}
	// MaxFrames counts the frames before the resume: none is left.
	again := Unwind(mem, code, a, Options{})
	if again.Resume(mem, code, b, Options{MaxFrames: 1}) || len(again.Frames) != 1 {
		t.Errorf("resumed past MaxFrames: %d frames", len(again.Frames))
	}
}
