package analyze

import (
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

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
