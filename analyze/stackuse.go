package analyze

import (
	"sort"

	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// stackUse measures stack use per function over a thread's frames, from
// the faulting one (frames[0]) outwards. A complete frame uses CFA − SP
// bytes: the distance between its CFA and the CFA of the frame it called,
// whose CFA is its SP. The faulting frame is not complete (it may have
// faulted halfway through allocating itself, on a stack probe), so it
// counts as the frame its function needed, need (CFA − SP when need is
// unknown). A frame whose SP and CFA lie on different stacks (where psm
// switched the stack pointer: rust_psm_on_stack's SP is on the new
// segment, its CFA on the old stack) uses no bytes of either that the
// unwind can tell: it counts 0, not the distance between the two mappings.
// It returns the recursion runs (one function repeated in consecutive
// frames), largest first, with the bytes per complete frame; and the top
// consumers by function.
func (mm *memoryMap) stackUse(frames []report.Frame, raw []stackmap.Frame, need int64) (runs []report.RecursionRun, top []report.FunctionBytes) {
	used := func(i int) uint64 {
		if i == 0 && need > 0 {
			return uint64(need)
		}
		if raw[i].CFA > raw[i].SP && mm.sameStack(raw[i].SP, raw[i].CFA) {
			return raw[i].CFA - raw[i].SP
		}
		return 0
	}
	byFunc := map[string]*report.FunctionBytes{}
	for i := 0; i < len(frames); i++ {
		name := frames[i].Function
		if name == "" {
			continue
		}
		j, bytes := i, used(i)
		for j+1 < len(frames) && frames[j+1].Function == name {
			j++
			bytes += used(j)
		}
		if j-i+1 >= 3 {
			run := report.RecursionRun{Function: name, Frames: j - i + 1, Bytes: bytes, First: frames[i].Index, Last: frames[j].Index}
			complete, n := bytes, uint64(run.Frames)
			if i == 0 {
				complete, n = bytes-used(0), n-1
			}
			run.Each = complete / n
			runs = append(runs, run)
		}
		fb := byFunc[name]
		if fb == nil {
			fb = &report.FunctionBytes{Function: name}
			byFunc[name] = fb
		}
		fb.Frames += j - i + 1
		fb.Bytes += bytes
		i = j
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Bytes > runs[j].Bytes })
	if len(runs) > 3 {
		runs = runs[:3]
	}
	for _, fb := range byFunc {
		top = append(top, *fb)
	}
	sort.Slice(top, func(i, j int) bool {
		if top[i].Bytes != top[j].Bytes {
			return top[i].Bytes > top[j].Bytes
		}
		return top[i].Function < top[j].Function
	})
	if len(top) > 5 {
		top = top[:5]
	}
	if runs == nil {
		runs = []report.RecursionRun{}
	}
	return runs, top
}

// frameNeed sizes the faulting function's frame from two witnesses: the
// CFI's largest CFA offset from rsp, and the decoded prologue.
//
// For a function whose CFA stays rsp-based the CFI is exact: it follows
// every push and sub rsp, probes included. A frame-pointer function moves
// its CFA to rbp right after mov rbp,rsp, and what it allocates afterwards
// (push rbx; sub rsp,0x518) never shows in the CFI, whose offsets then stop
// at 16: a lower bound. A prologue the decoder read to its end (it stopped
// at an instruction that does not move rsp) is taken as whole; one it
// stopped inside (an instruction it does not know moves rsp) is a lower
// bound too. An exact CFI wins over the prologue when they differ: its
// offsets also see arguments pushed for a call in the body, and the part of
// a shrink-wrapped prologue (pushes after an early-exit test) the decoder
// did not reach. The size is the exact witness when there is one, the
// larger lower bound when there is not, and never a lower bound that
// another witness exceeds.
func (a *analysis) frameNeed(f *stackmap.Frame, fr *report.Frame) report.FrameNeed {
	need := report.FrameNeed{Function: fr.Name(), PC: fr.PC}
	var cfiSize int64
	var cfiOK, cfiPartial bool
	if cfi, bias, ok := a.s.code.CFI(f.LookupPC()); ok {
		if fi, ok := cfi.FrameInfo(f.LookupPC() - bias); ok && fi.CFASize > 0 {
			cfiSize, cfiOK, cfiPartial = fi.CFASize, true, fi.Partial
		}
	}
	var pro *stackmap.Prologue // nil: the function's code could not be read
	if fr.Function != "" {
		start := uint64(fr.PC) - fr.Offset
		code := make([]byte, 256)
		n, _ := a.s.Mem.ReadAt(code, start)
		if n > 0 {
			p := stackmap.DecodePrologue(code[:n], -1)
			pro = &p
		}
	}
	need.CFISize, need.CFILowerBound = cfiSize, cfiPartial
	if pro != nil {
		need.PrologueSize, need.Prologue, need.PrologueIncomplete = pro.Size, pro.How, !pro.Complete
	}
	need.Size, need.How = frameSize(cfiSize, cfiOK, cfiPartial, pro)
	return need
}

// frameSize chooses between the witnesses as frameNeed explains: cfiSize
// is the CFI's largest CFA offset (cfiOK: the FDE has one; cfiPartial: the
// CFA leaves rsp, so it is a lower bound), pro the decoded prologue (nil
// when there was no code to decode). It returns the size and how it was
// found ("" when neither witness says anything).
func frameSize(cfiSize int64, cfiOK, cfiPartial bool, pro *stackmap.Prologue) (int64, string) {
	cfiExact := cfiOK && !cfiPartial
	proExact := pro != nil && pro.Complete
	switch {
	case cfiExact && proExact && pro.Size == cfiSize:
		return pro.Size, "prologue+cfi"
	case cfiExact:
		// The prologue stopped early, or the body pushes more before a
		// call: the CFI saw every rsp move.
		return cfiSize, "cfi"
	case proExact && pro.Size >= cfiSize:
		return pro.Size, "prologue"
	case pro != nil && pro.Size > cfiSize:
		return pro.Size, "lower-bound"
	case cfiOK:
		return cfiSize, "lower-bound"
	}
	return 0, ""
}
