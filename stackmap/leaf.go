package stackmap

import "github.com/coreview/coreview/internal/x86"

// maxLeafBytes bounds how much of a function leafStep decodes before the
// PC: a frameless leaf is short (Go's runtime.raise is 0x22 bytes).
const maxLeafBytes = 512

// frameless reports whether the function holding pc has not moved rsp by
// the time it reaches pc: decoding from its first byte reaches pc in a
// straight line (no jump or branch, which could come from code that moved
// rsp, and no return), and no instruction on the way moves rsp (a push, a
// sub, enter; x86.MovesRSP). rsp then still points at the return address
// its caller's call pushed, and rbp is still the caller's, so the
// frame-pointer chain would skip the caller.
func frameless(mem Memory, code Code, pc uint64) bool {
	start, ok := code.FuncStart(pc)
	if !ok || start > pc || pc-start > maxLeafBytes {
		return false
	}
	buf := make([]byte, pc-start+15)
	n, _ := mem.ReadAt(buf, start)
	if uint64(n) < pc-start {
		return false
	}
	return x86.StraightToPC(buf[:n], pc-start)
}

// leafStep takes the return address of a frameless innermost frame (or of
// the frame a signal interrupted) from [rsp]. It is tried before the
// frame-pointer chain when there is no CFI, and only when a call ends at
// the word found there.
func leafStep(mem Memory, code Code, f *Frame) (Frame, bool) {
	if !frameless(mem, code, f.PC) {
		return Frame{}, false
	}
	ra, err := readWord(mem, f.SP)
	if err != nil || !code.Executable(ra) || !afterCall(mem, ra) {
		return Frame{}, false
	}
	f.CFA = f.SP + 8
	// A leaf that never moved rsp saved nothing: the callee-saved
	// registers (x86-64 psABI 3.2.1) still hold the caller's values.
	var regs Regs
	for _, n := range []int{RBX, RBP, 12, 13, 14, 15} {
		if v, ok := f.Regs.Get(n); ok {
			regs.Set(n, v)
		}
	}
	regs.Set(RIP, ra)
	regs.Set(RSP, f.SP+8)
	return Frame{PC: ra, SP: f.SP + 8, Method: MethodCall, Caller: true, Regs: regs}, true
}
