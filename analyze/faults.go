package analyze

import (
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/report"
)

// diagnoseFault explains the signal from the faulting instruction of the
// crashed thread, when the PC itself is sound.
func (a *analysis) diagnoseFault() *report.Diagnosis {
	c := a.s.Core
	si := c.Siginfo
	ct := a.crashed()
	if si == nil || ct == nil || len(ct.stack.Frames) == 0 {
		return nil
	}
	// The fault is frame 0's, or, when a handler caught it and the
	// process died of what the handler did next (abort, a re-raise),
	// the one its signal frame records, in the frame below it.
	first, handler := 0, ""
	if !si.Fault() {
		fc := a.faultOf()
		if fc == nil || fc.first == 0 {
			return nil
		}
		first, handler = fc.first, fc.handler
		si = &corefile.Siginfo{Signo: fc.signo, Code: fc.code, Addr: fc.addr}
	}
	d := a.faultAt(si, first)
	if d != nil && handler != "" {
		d.Explanation = append(d.Explanation, "The process died of the fault only indirectly: "+handler+".")
	}
	return d
}

// faultAt explains the fault si of the crashed thread's frame first.
func (a *analysis) faultAt(si *corefile.Siginfo, first int) *report.Diagnosis {
	c := a.s.Core
	ct := a.crashed()
	f0 := ct.stack.Frames[first]
	if !a.s.Mem.Executable(f0.PC) {
		return nil // the control-flow diagnoses cover a bad PC
	}
	tid := ct.core.TID
	fr := ct.thread.Frames[first]
	fn := fr.Name()
	acc := &report.Access{PC: report.Addr(f0.PC), Function: fn}
	inst, ok := a.s.decodeAt(f0.PC)
	if ok {
		acc.Instruction = x86.Intel(inst, f0.PC)
	}
	addr := report.Addr(si.Addr)
	d := &report.Diagnosis{Thread: tid, Access: acc}
	at := fmt.Sprintf("%s+%#x", fn, fr.Offset)
	if fr.Function == "" {
		at = fn
	}
	switch si.Signo {
	case report.SIGSEGV:
		if si.Code == corefile.SI_KERNEL {
			a.generalProtection(d, inst, ok, ct.stack.Regs, f0.PC, at)
			return d
		}
		acc.Address, acc.AddressSource = &addr, "kernel"
		acc.Where = a.mm.describe(si.Addr)
		acc.Operation = "read"
		if ok && x86.WritesMemory(inst) {
			acc.Operation = "write"
		}
		if ok && x86.IsStringOp(inst.Op) {
			// movs/cmps read [rsi] and write [rdi]: which one faulted is
			// the one whose register is nearest below the fault address.
			regs := ct.stack.Regs
			rsi, _ := x86.RegValue(&regs, x86asm.RSI)
			rdi, _ := x86.RegValue(&regs, x86asm.RDI)
			dsi, dsi2 := si.Addr-rsi, si.Addr-rdi
			if dsi < dsi2 {
				acc.Operation, acc.Operand = "read", fmt.Sprintf("[rsi] with rsi = %#x", rsi)
			} else {
				acc.Operation, acc.Operand = "write", fmt.Sprintf("[rdi] with rdi = %#x", rdi)
			}
		}
		if ok && acc.Operand == "" {
			regs := ct.stack.Regs
			_, _, acc.Operand, _ = x86.OperandWords(inst, &regs, f0.PC)
		}
		m := c.Mapping(si.Addr)
		switch {
		case si.Addr < minMapAddr:
			d.Kind = report.KindNullDereference
			d.Summary = fmt.Sprintf("Thread %d dereferenced a null pointer: %s %s address %#x.", tid, at, verb(acc.Operation), si.Addr)
			if si.Addr != 0 {
				d.Summary = strings.TrimSuffix(d.Summary, ".") + fmt.Sprintf(" (null + %#x: a field of a null struct pointer, or an index into a null array).", si.Addr)
			}
		case m != nil && si.Code == report.SEGV_ACCERR && acc.Operation == "write" && m.Perm&corefile.PermW == 0:
			d.Kind = report.KindWriteToReadonly
			d.Summary = fmt.Sprintf("Thread %d wrote to read-only memory: %s wrote %#x, in %s.", tid, at, si.Addr, a.mm.words(m))
		case m != nil && si.Code == report.SEGV_ACCERR && m.Perm == 0 && a.mm.role(m) != report.RoleGuard:
			d.Kind = report.KindInvalidAccess
			d.Summary = fmt.Sprintf("Thread %d touched a PROT_NONE mapping: %s %s %#x, in %s.", tid, at, verb(acc.Operation), si.Addr, a.mm.words(m))
		default:
			d.Kind = report.KindInvalidAccess
			d.Summary = fmt.Sprintf("Thread %d %s an invalid address: %s %s %#x, %s.", tid, past(acc.Operation), at, verb(acc.Operation), si.Addr, acc.Where)
		}
		if acc.Operand != "" {
			d.Explanation = append(d.Explanation, fmt.Sprintf("The instruction was `%s`: a %s of %s.", acc.Instruction, acc.Operation, acc.Operand))
		}
	case report.SIGBUS:
		if si.HasAddr() {
			acc.Address, acc.AddressSource = &addr, "kernel"
			acc.Where = a.mm.describe(si.Addr)
		}
		switch report.CodeName(si.Signo, si.Code) {
		case "BUS_ADRALN":
			d.Kind = report.KindMisaligned
			// The kernel reports no address for an alignment-check fault;
			// the instruction's operand gives it.
			where := "an address the kernel does not report"
			regs := ct.stack.Regs
			if ea, _, operand, has := x86.OperandWords(inst, &regs, f0.PC); ok && has {
				ea2 := report.Addr(ea)
				acc.Address, acc.AddressSource = &ea2, "instruction"
				acc.Where = a.mm.describe(ea)
				acc.Operand = operand
				off := ea % uint64(max(inst.MemBytes, 1))
				where = fmt.Sprintf("%#x (%d byte%s past an %d-byte boundary)", ea, off, plural(off), max(inst.MemBytes, 1))
			}
			d.Summary = fmt.Sprintf("Thread %d made a misaligned %d-byte access at %s in %s, with alignment checking on (EFLAGS.AC).", tid, inst.MemBytes, where, at)
			if acc.Instruction != "" {
				d.Explanation = append(d.Explanation, fmt.Sprintf("The instruction was `%s`: %s.", acc.Instruction, acc.Operand))
			}
			if acc.AddressSource == "instruction" {
				d.Explanation = append(d.Explanation, "The kernel reports an alignment-check fault without an address; the address above was computed from the instruction and the registers.")
			}
		case "BUS_ADRERR":
			d.Kind = report.KindBusError
			d.Summary = fmt.Sprintf("Thread %d accessed %#x in %s, past the end of the file mapped there (the file was truncated after it was mapped?): %s.", tid, si.Addr, at, acc.Where)
		default:
			d.Kind = report.KindBusError
			d.Summary = fmt.Sprintf("Thread %d got a bus error (%s) at %#x in %s.", tid, report.CodeName(si.Signo, si.Code), si.Addr, at)
		}
	case report.SIGILL:
		d.Kind = report.KindIllegalInstruction
		switch {
		case ok && inst.Op == x86asm.UD2:
			d.Summary = fmt.Sprintf("Thread %d executed ud2 in %s: a deliberate trap (Rust's intrinsics::abort or unreachable_unchecked, C's __builtin_trap or __builtin_unreachable with -fsanitize=unreachable, a failed check compiled to a trap).", tid, at)
		case ok:
			d.Summary = fmt.Sprintf("Thread %d executed an instruction this CPU refused (%s) in %s: `%s`. Built for a newer CPU (-march, target-cpu)?", tid, report.CodeName(si.Signo, si.Code), at, acc.Instruction)
		default:
			d.Summary = fmt.Sprintf("Thread %d executed bytes that do not decode as an instruction in %s.", tid, at)
		}
	case report.SIGFPE:
		d.Kind = report.KindDivideError
		d.Summary = fmt.Sprintf("Thread %d raised %s (%s) in %s", tid, report.SignalName(si.Signo), report.CodeMeaning(report.CodeName(si.Signo, si.Code)), at)
		if ok && (inst.Op == x86asm.DIV || inst.Op == x86asm.IDIV) {
			if r, isReg := inst.Args[0].(x86asm.Reg); isReg && r != 0 {
				regs := ct.stack.Regs
				if v, ok := x86.RegValue(&regs, r); ok {
					d.Summary += fmt.Sprintf(": `%s` with divisor %s = %d", acc.Instruction, x86.RegName(r), int64(v))
				}
			} else {
				d.Summary += fmt.Sprintf(": `%s`", acc.Instruction)
			}
		}
		d.Summary += "."
	default:
		return nil
	}
	return d
}

func verb(op string) string {
	switch op {
	case "write":
		return "wrote to"
	case "execute":
		return "jumped to"
	}
	return "read from"
}

func past(op string) string {
	if op == "write" {
		return "wrote to"
	}
	return strings.TrimSuffix(verb(op), " from")
}

func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
}
