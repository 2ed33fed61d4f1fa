package stackmap

// maxRSPOffset runs a CIE's initial instructions and then an FDE's whole
// program through the interpreter (execCFA) and returns the largest offset
// from rsp the CFA rule ever takes: for a function that addresses its frame
// from rsp, the size of its whole frame, return address included. It
// reports ok false when the CFA is never rsp-based.
//
// partial is set when the CFA rule leaves rsp (DW_CFA_def_cfa_register rbp
// after mov rbp,rsp, or a CFA expression) and never comes back to it with a
// larger offset: while the CFA is rbp-based, the pushes and sub rsp of the
// prologue move rsp without changing the CFA rule, so the CFI does not show
// them and max is only a lower bound of the frame (16, push rbp and the
// return address, for a classic frame-pointer prologue). A probe loop that
// keeps the CFA in r11 and then returns it to rsp at the full offset (GCC's
// -fstack-clash-protection, LLVM's probe loop) leaves max exact.
func maxRSPOffset(c *cie, insns []byte) (max int64, ok, partial bool, err error) {
	note := func(r *row) {
		if r.cfaExpr != nil || r.cfaReg != RSP {
			partial = true
			return
		}
		if r.cfaOff > max {
			// Back on rsp with a larger offset (after a probe loop that
			// kept the CFA in r11): what was allocated meanwhile shows.
			max, ok, partial = r.cfaOff, true, false
		}
	}
	var init row
	if err := execCFA(c, c.initial, &init, nil, ^uint64(0), 0, note); err != nil {
		return max, ok, partial, err
	}
	cur := init
	err = execCFA(c, insns, &cur, &init, ^uint64(0), 0, note)
	return max, ok, partial, err
}

// FrameInfo describes the function covering a PC, from its FDE.
type FrameInfo struct {
	Begin, End uint64 // link-time range of the FDE
	// CFASize is the largest CFA offset from rsp in the FDE: the frame's
	// full size, return address included; 0 if the CFA is never rsp-based.
	CFASize int64
	// Partial is set when the CFA rule leaves rsp somewhere in the FDE (a
	// frame-pointer function: CFA = rbp+16 after mov rbp,rsp). Stack
	// allocated after that does not show in the CFI, so CFASize is only a
	// lower bound of the frame; the prologue has the rest.
	Partial bool
}

// FrameInfo returns what the CFI says about the function at link-time
// address pc.
func (c *CFI) FrameInfo(pc uint64) (FrameInfo, bool) {
	e := c.lookup(pc)
	if e.err != nil {
		return FrameInfo{}, false
	}
	fi := FrameInfo{Begin: e.begin, End: e.end}
	if size, ok, partial, err := maxRSPOffset(e.cie, e.insns); err == nil {
		if ok {
			fi.CFASize = size
		}
		fi.Partial = partial
	}
	return fi, true
}
