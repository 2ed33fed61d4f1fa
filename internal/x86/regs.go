package x86

import (
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Regs is the register file an instruction ran with, by DWARF register
// number (x86-64 psABI, figure 3.36: rax 0, rdx 1, rcx 2, rbx 3, rsi 4,
// rdi 5, rbp 6, rsp 7, r8–r15 8–15, the return address 16). A
// *stackmap.Regs is one; x86 sits below stackmap and cannot name it.
type Regs interface {
	Get(dwarfReg int) (uint64, bool)
}

// dwarfReg maps x86asm's 64-bit general registers to their DWARF numbers
// (psABI figure 3.36).
var dwarfReg = map[x86asm.Reg]int{
	x86asm.RAX: 0, x86asm.RDX: 1, x86asm.RCX: 2, x86asm.RBX: 3, x86asm.RSI: 4, x86asm.RDI: 5,
	x86asm.RBP: 6, x86asm.RSP: 7, x86asm.R8: 8, x86asm.R9: 9, x86asm.R10: 10, x86asm.R11: 11,
	x86asm.R12: 12, x86asm.R13: 13, x86asm.R14: 14, x86asm.R15: 15,
}

// RegValue returns a register's value in regs: a 64-bit register whole, a
// 32-bit one as the low half of its 64-bit register (the value a 32-bit
// address-size operand, [eax], uses). Other registers (rip, the 8- and
// 16-bit ones, segment and vector registers) are not read: ok is false.
func RegValue(regs Regs, r x86asm.Reg) (uint64, bool) {
	if r >= x86asm.EAX && r <= x86asm.R15L {
		v, ok := RegValue(regs, RegFamily(r))
		return v & 0xffffffff, ok
	}
	n, ok := dwarfReg[r]
	if !ok {
		return 0, false
	}
	return regs.Get(n)
}

// RegFamily returns the 64-bit register that r is part of (al, ax, eax and
// rax are all rax), or 0 for other registers.
func RegFamily(r x86asm.Reg) x86asm.Reg {
	switch {
	case r >= x86asm.RAX && r <= x86asm.R15:
		return r
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return x86asm.RAX + (r - x86asm.EAX)
	case r >= x86asm.AX && r <= x86asm.R15W:
		return x86asm.RAX + (r - x86asm.AX)
	case r >= x86asm.AL && r <= x86asm.BL:
		return x86asm.RAX + (r - x86asm.AL)
	case r >= x86asm.AH && r <= x86asm.BH: // ah, ch, dh, bh
		return x86asm.RAX + (r - x86asm.AH)
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return x86asm.RSP + (r - x86asm.SPB)
	}
	return 0
}

// regNames are the 64-bit registers as Intel syntax writes them.
var regNames = map[x86asm.Reg]string{
	x86asm.RAX: "rax", x86asm.RBX: "rbx", x86asm.RCX: "rcx", x86asm.RDX: "rdx", x86asm.RSI: "rsi",
	x86asm.RDI: "rdi", x86asm.RBP: "rbp", x86asm.RSP: "rsp", x86asm.R8: "r8", x86asm.R9: "r9",
	x86asm.R10: "r10", x86asm.R11: "r11", x86asm.R12: "r12", x86asm.R13: "r13", x86asm.R14: "r14",
	x86asm.R15: "r15", x86asm.RIP: "rip",
}

// RegName is a 64- or 32-bit register's name in lower case, as Intel
// syntax writes it ("rax", "r9l" for x86asm's R9L); "" for other
// registers.
func RegName(r x86asm.Reg) string {
	if r >= x86asm.EAX && r <= x86asm.R15L {
		return strings.ToLower(r.String())
	}
	return regNames[r]
}
