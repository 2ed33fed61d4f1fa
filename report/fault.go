package report

import (
	"fmt"
	"strings"
)

// Explain writes thread tid's faulting access in words, for a diagnosis of
// kind: the summary (what the instruction did to which address, and what
// is there), then the instruction and its operand, and for a
// general-protection fault why the kernel gave no address. The kind is
// the diagnosis's choice; Explain only words it.
func (acc *Access) Explain(kind Kind, tid int) (string, []string) {
	var summary string
	var more []string
	switch acc.Signo {
	case SIGSEGV:
		if acc.Code == SI_KERNEL {
			summary, more = acc.generalProtection(kind, tid)
		} else {
			summary, more = acc.segv(kind, tid)
		}
	case SIGBUS:
		summary, more = acc.bus(kind, tid)
	case SIGILL:
		summary = acc.illegal(tid)
	case SIGFPE:
		summary = acc.divide(tid)
	}
	if acc.Handler != "" {
		more = append(more, "The process died of the fault only indirectly: "+acc.Handler+".")
	}
	return summary, more
}

// at is the faulting PC in words: "main+0x1a", or the frame's name when
// no symbol holds it.
func (acc *Access) at() string {
	if !acc.Symbol {
		return acc.Function
	}
	return fmt.Sprintf("%s+%#x", acc.Function, acc.Offset)
}

// segv words a page fault (SEGV_MAPERR, SEGV_ACCERR): the kernel gave the
// address.
func (acc *Access) segv(kind Kind, tid int) (string, []string) {
	at, addr, op := acc.at(), uint64(acc.SignalAddr), acc.Operation
	var s string
	switch {
	case kind == KindNullDereference:
		switch {
		case acc.Base != "" && acc.Pointer != 0:
			// The pointer itself held a small value: whether it was
			// ever null is not in the registers.
			s = fmt.Sprintf("Thread %d dereferenced a pointer into the null page: %s %s address %#x through %s = %#x, which is not null: a null pointer plus an offset added earlier, or a small integer used as a pointer.", tid, at, verb(op), addr, acc.Base, acc.Pointer)
		case addr != 0:
			s = fmt.Sprintf("Thread %d dereferenced a null pointer: %s %s address %#x (null + %#x: a field of a null struct pointer, or an index into a null array).", tid, at, verb(op), addr, addr)
		default:
			s = fmt.Sprintf("Thread %d dereferenced a null pointer: %s %s address %#x.", tid, at, verb(op), addr)
		}
	case kind == KindWriteToReadonly:
		s = fmt.Sprintf("Thread %d wrote to read-only memory: %s wrote %#x, in %s.", tid, at, addr, acc.Mapping)
	case acc.ProtNone:
		s = fmt.Sprintf("Thread %d touched a PROT_NONE mapping: %s %s %#x, in %s.", tid, at, verb(op), addr, acc.Mapping)
	default:
		s = fmt.Sprintf("Thread %d %s an invalid address: %s %s %#x, %s.", tid, past(op), at, verb(op), addr, acc.Where)
	}
	var more []string
	if acc.Operand != "" {
		more = append(more, fmt.Sprintf("The instruction was `%s`: a %s of %s.", acc.Instruction, op, acc.Operand))
	}
	return s, more
}

// noAddr is why a general-protection fault's report has no address.
const noAddr = "the kernel reports a general-protection fault as SIGSEGV with si_code SI_KERNEL and no fault address"

// generalProtection words a SIGSEGV the kernel raised with SI_KERNEL: a
// general-protection fault, with the address computed from the
// instruction when it could be.
func (acc *Access) generalProtection(kind Kind, tid int) (string, []string) {
	at := acc.at()
	if acc.Address == nil || acc.AddressSource != "instruction" {
		ins := "an instruction that does not decode"
		if acc.Instruction != "" {
			ins = "`" + acc.Instruction + "`"
		}
		return fmt.Sprintf("Thread %d raised a general-protection fault in %s at %s: a privileged or protected instruction.", tid, at, ins),
			[]string{noAddr + "."}
	}
	ea := uint64(*acc.Address)
	switch kind {
	case KindNonCanonical:
		return fmt.Sprintf("Thread %d %s a non-canonical address: %s %s %#x, computed from `%s` (%s).",
				tid, past(acc.Operation), at, verb(acc.Operation), ea, acc.Instruction, acc.Operand),
			[]string{
				"An x86-64 address must have bits 63 to 47 all equal (user space ends at 0x00007fffffffffff, the kernel starts at 0xffff800000000000); anything between is non-canonical. Using one raises a general-protection fault, not a page fault, which the kernel reports as SIGSEGV with si_code SI_KERNEL and no fault address: the address above was computed from the instruction and the registers.",
				"The pointer is garbage rather than null: " + garbageHint(acc.Pointer),
			}
	case KindMisaligned:
		return fmt.Sprintf("Thread %d made a misaligned SSE access in %s: `%s` needs a 16-byte aligned operand and %s is %#x (%d bytes past a 16-byte boundary).",
				tid, at, acc.Instruction, acc.Operand, ea, ea%16),
			[]string{"The CPU raised a general-protection fault; " + noAddr + ". A misaligned stack (the psABI wants rsp+8 16-byte aligned at a function's entry) or a misaligned buffer cast to a vector type does this."}
	}
	return fmt.Sprintf("Thread %d raised a general-protection fault in %s: `%s` (%s, address %#x).", tid, at, acc.Instruction, acc.Operand, ea),
		[]string{"The operand's address is canonical, so the fault was something else the CPU refuses in user mode (a segment or I/O access, a privileged instruction); " + noAddr + "."}
}

// bus words a SIGBUS: an alignment-check fault, an access past the end of
// a mapped file, or another bus error.
func (acc *Access) bus(kind Kind, tid int) (string, []string) {
	at := acc.at()
	code := CodeName(acc.Signo, acc.Code)
	switch {
	case kind == KindMisaligned:
		// The kernel reports no address for an alignment-check fault;
		// the instruction's operand gives it.
		where := "an address the kernel does not report"
		computed := acc.Address != nil && acc.AddressSource == "instruction"
		if computed {
			ea, size := uint64(*acc.Address), uint64(max(acc.Size, 1))
			off := ea % size
			where = fmt.Sprintf("%#x (%d byte%s past an %d-byte boundary)", ea, off, plural(off), size)
		}
		var more []string
		if acc.Instruction != "" {
			more = append(more, fmt.Sprintf("The instruction was `%s`: %s.", acc.Instruction, acc.Operand))
		}
		if computed {
			more = append(more, "The kernel reports an alignment-check fault without an address; the address above was computed from the instruction and the registers.")
		}
		return fmt.Sprintf("Thread %d made a misaligned %d-byte access at %s in %s, with alignment checking on (EFLAGS.AC).", tid, acc.Size, where, at), more
	case code == "BUS_ADRERR":
		return fmt.Sprintf("Thread %d accessed %#x in %s, past the end of the file mapped there (the file was truncated after it was mapped?): %s.", tid, uint64(acc.SignalAddr), at, acc.Where), nil
	}
	return fmt.Sprintf("Thread %d got a bus error (%s) at %#x in %s.", tid, code, uint64(acc.SignalAddr), at), nil
}

// illegal words a SIGILL: a deliberate trap, an instruction this CPU
// lacks, or bytes that are no instruction.
func (acc *Access) illegal(tid int) string {
	at := acc.at()
	switch {
	case acc.Trap:
		return fmt.Sprintf("Thread %d executed ud2 in %s: a deliberate trap (Rust's intrinsics::abort or unreachable_unchecked, C's __builtin_trap or __builtin_unreachable with -fsanitize=unreachable, a failed check compiled to a trap).", tid, at)
	case acc.Instruction != "":
		return fmt.Sprintf("Thread %d executed an instruction this CPU refused (%s) in %s: `%s`. Built for a newer CPU (-march, target-cpu)?", tid, CodeName(acc.Signo, acc.Code), at, acc.Instruction)
	}
	return fmt.Sprintf("Thread %d executed bytes that do not decode as an instruction in %s.", tid, at)
}

// divide words a SIGFPE, with the division and its divisor when the
// instruction is one.
func (acc *Access) divide(tid int) string {
	s := fmt.Sprintf("Thread %d raised %s (%s) in %s", tid, SignalName(acc.Signo), CodeMeaning(CodeName(acc.Signo, acc.Code)), acc.at())
	switch d := acc.Divisor; {
	case d == nil:
	case d.Memory:
		s += fmt.Sprintf(": `%s`", acc.Instruction)
	default:
		s += fmt.Sprintf(": `%s` with divisor %s = %d", acc.Instruction, d.Register, d.Value)
	}
	return s + "."
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

// printableBytes counts the bytes of v that are printable ASCII.
func printableBytes(v uint64) int {
	n := 0
	for i := 0; i < 8; i++ {
		if c := byte(v >> (8 * i)); c >= 0x20 && c < 0x7f {
			n++
		}
	}
	return n
}

// asciiLE is v's bytes as text, least significant first (as memory holds
// them on x86).
func asciiLE(v uint64) string {
	var b [8]byte
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return string(b[:])
}

// verb is an access's operation as the verb of "main+0x1a wrote to
// 0x10": "read from", "wrote to", "jumped to".
func verb(op string) string {
	switch op {
	case "write":
		return "wrote to"
	case "execute":
		return "jumped to"
	}
	return "read from"
}

// past is the operation in "Thread 1 read an invalid address": "read",
// "wrote to", "jumped to".
func past(op string) string {
	if op == "write" {
		return "wrote to"
	}
	return strings.TrimSuffix(verb(op), " from")
}

// plural is the plural suffix for n things.
func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
}
