package analyze

import (
	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// generalProtection finds the facts of a SIGSEGV the kernel raised with
// SI_KERNEL: a general-protection fault, for which si_addr is 0. The
// address the instruction used is computed from its memory operand and the
// registers; whether it is canonical, or misaligned for an SSE
// instruction that needs alignment, decides the kind.
func (a *analysis) generalProtection(d *report.Diagnosis, inst x86asm.Inst, decoded bool, regs stackmap.Regs, pc uint64) {
	acc := d.Access
	v, m, operand, ok := x86.OperandWords(inst, &regs, pc)
	if !decoded || !ok {
		d.Kind = report.KindInvalidAccess
		return
	}
	ea := v
	acc.Pointer = v
	if m.Base != 0 && m.Base != x86asm.RIP {
		// The pointer is the base register; the displacement is a
		// field offset.
		acc.Pointer, _ = x86.RegValue(&regs, m.Base)
	}
	acc.Operand = operand
	eaA := report.Addr(ea)
	acc.Address, acc.AddressSource = &eaA, "instruction"
	acc.Operation = "read"
	if x86.WritesMemory(inst) {
		acc.Operation = "write"
	}
	switch {
	case !x86.Canonical(ea):
		d.Kind = report.KindNonCanonical
		acc.Where = "a non-canonical address: no memory can be mapped there"
	case x86.AlignedSSE[inst.Op] && ea%16 != 0:
		d.Kind = report.KindMisaligned
		acc.Where = a.mm.describe(ea)
	default:
		d.Kind = report.KindInvalidAccess
		acc.Where = a.mm.describe(ea)
	}
}
