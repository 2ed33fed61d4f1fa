package x86

import "golang.org/x/arch/x86/x86asm"

// MovesRSP reports whether an instruction changes rsp other than by a call
// or a return: a write to rsp, a push or pop, enter or leave.
func MovesRSP(inst x86asm.Inst) bool {
	switch inst.Op {
	case x86asm.PUSH, x86asm.POP, x86asm.PUSHF, x86asm.PUSHFQ, x86asm.POPF, x86asm.POPFQ, x86asm.ENTER, x86asm.LEAVE:
		return true
	case x86asm.CMP, x86asm.TEST:
		return false
	}
	if len(inst.Args) == 0 {
		return false
	}
	r, _ := inst.Args[0].(x86asm.Reg)
	return r == x86asm.RSP || r == x86asm.ESP || r == x86asm.SP
}

// StraightToPC reports whether the code of a function, decoded from its
// first byte (code[0]), reaches offset pcOff in a straight line without
// moving rsp: every instruction before pcOff decodes, none is a jump, a
// conditional branch or a return (control could arrive from elsewhere, or
// not arrive), none moves rsp (MovesRSP), and one of them ends exactly at
// pcOff. A call on the way is allowed: it returns with rsp as it was. When
// this holds, rsp at pcOff is rsp at the function's entry, where the
// caller's return address is.
func StraightToPC(code []byte, pcOff uint64) bool {
	off := uint64(0)
	for off < pcOff {
		if off >= uint64(len(code)) {
			return false
		}
		if uint64(len(code))-off >= 4 && string(code[off:off+4]) == "\xf3\x0f\x1e\xfa" { // endbr64
			off += 4
			continue
		}
		inst, err := Decode(code[off:])
		if err != nil || MovesRSP(inst) || endsStraightLine(inst.Op) {
			return false
		}
		off += uint64(inst.Len)
	}
	return off == pcOff
}

// endsStraightLine reports whether an instruction transfers control other
// than by a call that returns.
func endsStraightLine(op x86asm.Op) bool {
	switch op {
	case x86asm.JMP, x86asm.LJMP, x86asm.RET, x86asm.LRET, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ, x86asm.SYSRET,
		x86asm.UD1, x86asm.UD2, x86asm.HLT, x86asm.INT,
		x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE, x86asm.JCXZ, x86asm.JECXZ, x86asm.JRCXZ:
		return true
	}
	return isJcc(op)
}
