package analyze

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// generalProtection explains a SIGSEGV the kernel raised with SI_KERNEL: a
// general-protection fault, for which si_addr is 0. The address the
// instruction used is computed from its memory operand and the registers.
func (a *analysis) generalProtection(d *report.Diagnosis, inst x86asm.Inst, decoded bool, regs stackmap.Regs, pc uint64, at string) {
	acc := d.Access
	tid := d.Thread
	const noAddr = "the kernel reports a general-protection fault as SIGSEGV with si_code SI_KERNEL and no fault address"
	var ea, ptr uint64
	haveEA := false
	if v, m, operand, ok := x86.OperandWords(inst, &regs, pc); decoded && ok {
		ea, ptr, haveEA = v, v, true
		if m.Base != 0 && m.Base != x86asm.RIP {
			// The pointer is the base register; the
			// displacement is a field offset.
			ptr, _ = x86.RegValue(&regs, m.Base)
		}
		acc.Operand = operand
		eaA := report.Addr(ea)
		acc.Address, acc.AddressSource = &eaA, "instruction"
		acc.Operation = "read"
		if x86.WritesMemory(inst) {
			acc.Operation = "write"
		}
	}
	switch {
	case haveEA && !x86.Canonical(ea):
		d.Kind = report.KindNonCanonical
		acc.Where = "a non-canonical address: no memory can be mapped there"
		d.Summary = fmt.Sprintf("Thread %d %s a non-canonical address: %s %s %#x, computed from `%s` (%s).",
			tid, past(acc.Operation), at, verb(acc.Operation), ea, acc.Instruction, acc.Operand)
		d.Explanation = append(d.Explanation,
			"An x86-64 address must have bits 63 to 47 all equal (user space ends at 0x00007fffffffffff, the kernel starts at 0xffff800000000000); anything between is non-canonical. Using one raises a general-protection fault, not a page fault, which the kernel reports as SIGSEGV with si_code SI_KERNEL and no fault address: the address above was computed from the instruction and the registers.",
			"The pointer is garbage rather than null: "+garbageHint(ptr))
	case haveEA && x86.AlignedSSE[inst.Op] && ea%16 != 0:
		d.Kind = report.KindMisaligned
		acc.Where = a.mm.describe(ea)
		d.Summary = fmt.Sprintf("Thread %d made a misaligned SSE access in %s: `%s` needs a 16-byte aligned operand and %s is %#x (%d bytes past a 16-byte boundary).",
			tid, at, acc.Instruction, acc.Operand, ea, ea%16)
		d.Explanation = append(d.Explanation, "The CPU raised a general-protection fault; "+noAddr+". A misaligned stack (the psABI wants rsp+8 16-byte aligned at a function's entry) or a misaligned buffer cast to a vector type does this.")
	case haveEA:
		d.Kind = report.KindInvalidAccess
		acc.Where = a.mm.describe(ea)
		d.Summary = fmt.Sprintf("Thread %d raised a general-protection fault in %s: `%s` (%s, address %#x).", tid, at, acc.Instruction, acc.Operand, ea)
		d.Explanation = append(d.Explanation, "The operand's address is canonical, so the fault was something else the CPU refuses in user mode (a segment or I/O access, a privileged instruction); "+noAddr+".")
	default:
		d.Kind = report.KindInvalidAccess
		ins := "an instruction that does not decode"
		if decoded {
			ins = "`" + acc.Instruction + "`"
		}
		d.Summary = fmt.Sprintf("Thread %d raised a general-protection fault in %s at %s: a privileged or protected instruction.", tid, at, ins)
		d.Explanation = append(d.Explanation, noAddr+".")
	}
}

// garbageHint says what a non-canonical pointer value looks like.
func garbageHint(v uint64) string {
	switch {
	case v>>48 == 0xdead:
		return fmt.Sprintf("%#x is 0xdead000000000000 plus %#x, a poison value (the base of the Linux kernel's list poison pointers; programs copy it to mark unlinked, freed or uninitialized pointers), so the pointer was probably read from a freed or never-initialized object.", v, v&0xffffffffffff)
	case printableBytes(v) >= 6:
		return fmt.Sprintf("%#x is mostly printable ASCII bytes (%q as little-endian text), so a string or other data overwrote the pointer.", v, asciiLE(v))
	}
	return fmt.Sprintf("%#x is not a value a pointer can hold: an uninitialized or overwritten pointer, or an integer used as one.", v)
}

func printableBytes(v uint64) int {
	n := 0
	for i := 0; i < 8; i++ {
		if c := byte(v >> (8 * i)); c >= 0x20 && c < 0x7f {
			n++
		}
	}
	return n
}

func asciiLE(v uint64) string {
	var b [8]byte
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return string(b[:])
}
