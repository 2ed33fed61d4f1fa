package x86

import (
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Intel prints an instruction at pc in Intel syntax, as objdump -M intel
// does.
func Intel(inst x86asm.Inst, pc uint64) string {
	return x86asm.IntelSyntax(inst, pc, nil)
}

// MemOperand returns the memory operand of inst, if any.
func MemOperand(inst x86asm.Inst) (x86asm.Mem, bool) {
	for _, a := range inst.Args {
		if m, ok := a.(x86asm.Mem); ok {
			return m, true
		}
	}
	return x86asm.Mem{}, false
}

// EffectiveAddr computes a memory operand's address from the registers the
// instruction ran with; next is the address of the following instruction
// (rip-relative operands count from it). It also returns the registers it
// used in words: "rax = 0x55…, rcx = 0x3". An fs:/gs: operand (TLS) is
// refused: the segment base is not in the registers.
//
// The address is base + index×scale + disp, modulo 2^64 (Intel SDM vol. 1,
// 3.7.5), with disp sign-extended from 32 bits whenever there is a base or
// an index register.
func EffectiveAddr(m x86asm.Mem, regs Regs, next uint64) (uint64, string, bool) {
	if m.Segment != 0 {
		return 0, "", false // fs:/gs: relative (TLS): base not in the registers
	}
	var addr uint64
	var parts []string
	switch {
	case m.Base == x86asm.RIP:
		addr = next
	case m.Base != 0:
		v, ok := RegValue(regs, m.Base)
		if !ok {
			return 0, "", false
		}
		addr = v
		parts = append(parts, fmt.Sprintf("%s = %#x", RegName(m.Base), v))
	}
	if m.Index != 0 {
		v, ok := RegValue(regs, m.Index)
		if !ok {
			return 0, "", false
		}
		addr += v * uint64(m.Scale)
		parts = append(parts, fmt.Sprintf("%s = %#x", RegName(m.Index), v))
	}
	// x86asm leaves a 32-bit displacement unextended ([rbp-0x204] has
	// Disp 0xfffffdfc); the CPU sign-extends it to 64 bits. Only an
	// absolute moffs64 operand (no base, no index) holds a full 64-bit
	// displacement.
	disp := m.Disp
	if m.Base != 0 || m.Index != 0 {
		disp = int64(int32(disp))
	}
	addr += uint64(disp)
	return addr, strings.Join(parts, ", "), true
}

// OperandWords evaluates inst's memory operand with regs (pc is inst's
// address): its address, the operand, and the operand in words,
// "[rax+0x18] with rax = 0x0".
func OperandWords(inst x86asm.Inst, regs Regs, pc uint64) (uint64, x86asm.Mem, string, bool) {
	m, ok := MemOperand(inst)
	if !ok {
		return 0, m, "", false
	}
	ea, desc, ok := EffectiveAddr(m, regs, pc+uint64(inst.Len))
	if !ok {
		return 0, m, "", false
	}
	return ea, m, WithRegs(MemString(m), desc), true
}

// WithRegs appends the registers an operand used, as EffectiveAddr words
// them: "[rax+0x18] with rax = 0x0".
func WithRegs(operand, desc string) string {
	if desc == "" {
		return operand
	}
	return operand + " with " + desc
}

// MemString writes a memory operand in lower case with its displacement
// sign-extended as EffectiveAddr computes it: [rbp-0x204], not
// [rbp+0xfffffdfc].
func MemString(m x86asm.Mem) string {
	if m.Base != 0 || m.Index != 0 {
		m.Disp = int64(int32(m.Disp))
	}
	return strings.ToLower(fmt.Sprint(m))
}
