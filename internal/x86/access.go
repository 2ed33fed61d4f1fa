package x86

import "golang.org/x/arch/x86/x86asm"

// WritesMemory reports whether inst stores to memory: to its memory
// operand when that is the destination (first in Intel order) of an
// instruction that writes its destination, or below rsp for a push or a
// call.
func WritesMemory(inst x86asm.Inst) bool {
	if len(inst.Args) == 0 || inst.Args[0] == nil {
		return false
	}
	if _, ok := inst.Args[0].(x86asm.Mem); !ok {
		return inst.Op == x86asm.PUSH || inst.Op == x86asm.CALL
	}
	switch inst.Op {
	case x86asm.CMP, x86asm.TEST, x86asm.PUSH, x86asm.JMP, x86asm.CALL, x86asm.PREFETCHT0,
		x86asm.PREFETCHT1, x86asm.PREFETCHT2, x86asm.PREFETCHNTA, x86asm.UCOMISD, x86asm.UCOMISS,
		x86asm.COMISD, x86asm.COMISS, x86asm.BT:
		return false
	}
	return true
}

// WritesReg reports whether inst writes register family r (a 64-bit
// register): as its destination, or implicitly (a call clobbers the
// caller-saved registers, rax with its return value; psABI 3.2.1).
func WritesReg(inst x86asm.Inst, r x86asm.Reg) bool {
	switch inst.Op {
	case x86asm.CMP, x86asm.TEST, x86asm.PUSH, x86asm.BT, x86asm.JMP, x86asm.UCOMISD, x86asm.UCOMISS,
		x86asm.COMISD, x86asm.COMISS, x86asm.NOP:
		return false
	case x86asm.CALL:
		switch r {
		case x86asm.RAX, x86asm.RCX, x86asm.RDX, x86asm.RSI, x86asm.RDI, x86asm.R8, x86asm.R9, x86asm.R10, x86asm.R11:
			return true
		}
		return false
	case x86asm.XCHG, x86asm.XADD, x86asm.CMPXCHG:
		for _, a := range inst.Args {
			if reg, ok := a.(x86asm.Reg); ok && RegFamily(reg) == r {
				return true
			}
		}
		return false
	}
	if reg, ok := inst.Args[0].(x86asm.Reg); ok {
		return RegFamily(reg) == r
	}
	return false
}

// IsStringOp reports whether op is a string move or compare (movs, cmps),
// whose memory operands are [rsi] and [rdi]: movs reads the first and
// writes the second, cmps reads both.
func IsStringOp(op x86asm.Op) bool {
	switch op {
	case x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ, x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ:
		return true
	}
	return false
}

// AlignedSSE are the instructions that raise #GP on a memory operand not
// aligned to its size (16 bytes, 32 for the VEX forms of 256-bit ones).
var AlignedSSE = map[x86asm.Op]bool{
	x86asm.MOVAPS: true, x86asm.MOVAPD: true, x86asm.MOVDQA: true, x86asm.MOVNTPS: true,
	x86asm.MOVNTPD: true, x86asm.MOVNTDQ: true, x86asm.MOVNTDQA: true,
}

// Canonical reports whether addr is a canonical x86-64 address with
// 48-bit virtual addresses: bits 63 to 47 all equal (Intel SDM vol. 1,
// 3.3.7.1). A non-canonical operand raises #GP, not #PF, so the kernel
// knows no fault address.
func Canonical(addr uint64) bool {
	top := addr >> 47
	return top == 0 || top == 1<<17-1
}
