package analyze

import (
	"debug/elf"
	"strconv"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestOverflowMatchesGDB checks a stack-overflow diagnosis's numbers against
// gdb and the core's program headers, on every fixture whose crash is a
// stack overflow in a recursion (the faulting function is also its caller
// and its caller's caller):
//
//   - frame.size is the function's complete frame as gdb measures it: the
//     caller's SP minus the callee's SP between two consecutive frames of
//     the function that are both complete (not the faulting one, whose
//     frame may be half built), i.e. CFA(#1) − CFA(#0);
//   - the recursion's bytes per frame are that same size, and its bytes
//     that size times its frames (the faulting frame counts as the frame
//     it needed, not as the part it had allocated when it faulted);
//   - remaining is CFA(#0) (gdb's SP of #1) minus the lowest byte of the
//     stack, the start of the core's PT_LOAD holding the CFA's last byte.
func TestOverflowMatchesGDB(t *testing.T) {
	gdb := testfixture.Tool(t, "gdb")
	t.Parallel()
	checked := 0
	for _, f := range testfixture.All(t) {
		r := fixtureReport(t, f)
		if len(r.Diagnosis) == 0 || r.Diagnosis[0].StackOverflow == nil || len(r.Diagnosis[0].StackOverflow.Recursion) == 0 {
			continue
		}
		so := r.Diagnosis[0].StackOverflow
		if so.Recursion[0].Function != so.Frame.Function {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			checked++
			core := f.RawCore(t)
			var wt *gdbThread
			threads := gdbFrames(t, gdb, f, core)
			for i := range threads {
				if threads[i].Crashed {
					wt = &threads[i]
				}
			}
			if wt == nil {
				t.Fatal("gdb has no crashed thread")
			}
			// The faulting frame: gdb's #0, or the frame a signal
			// handler interrupted (Rust std's overflow handler).
			k := 0
			for i, fr := range wt.Frames {
				if fr.Type == "SIGTRAMP_FRAME" {
					k = i + 1
				}
			}
			if k+2 >= len(wt.Frames) {
				t.Fatalf("gdb has %d frames, the fault at #%d", len(wt.Frames), k)
			}
			for _, fr := range wt.Frames[k : k+3] {
				if fr.Msym == nil || !sameFunction(*fr.Msym, so.Frame.Function) {
					t.Fatalf("gdb's frames #%d–#%d are not all %s: %s", k, k+2, so.Frame.Function, deref(fr.Msym))
				}
			}
			sp := func(i int) uint64 {
				v, err := strconv.ParseUint(wt.Frames[i].SP, 0, 64)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			size := int64(sp(k+2) - sp(k+1))
			if so.Frame.Size != size {
				t.Errorf("frame.size %d (%s), gdb's frames #%d and #%d are %d bytes apart", so.Frame.Size, so.Frame.How, k+1, k+2, size)
			}
			if run := so.Recursion[0]; run.Each != uint64(size) || run.Bytes != uint64(run.Frames)*uint64(size) {
				t.Errorf("recursion: %d frames, %d bytes each, %d in all; gdb's frames are %d bytes apart", run.Frames, run.Each, run.Bytes, size)
			}
			cfa0 := sp(k + 1)
			lowest, ok := loadStart(t, core, cfa0-1)
			if !ok {
				t.Fatalf("no PT_LOAD holds the CFA %#x", cfa0)
			}
			if want := int64(cfa0 - lowest); so.Remaining != want {
				t.Errorf("remaining %d, CFA(#%d) %#x − stack start %#x = %d", so.Remaining, k, cfa0, lowest, want)
			}
			t.Logf("%s: frame %d bytes (%s), %d left", so.Frame.Function, size, so.Frame.How, so.Remaining)
		})
	}
	if checked == 0 {
		t.Error("no fixture has a stack overflow in a recursion")
	}
}

// loadStart returns the start of the core's PT_LOAD segment holding addr,
// read with debug/elf rather than coreview's own reader.
func loadStart(t *testing.T, core string, addr uint64) (uint64, bool) {
	t.Helper()
	ef, err := elf.Open(core)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr < p.Vaddr+p.Memsz {
			return p.Vaddr, true
		}
	}
	return 0, false
}
