package analyze

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
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
	if d == nil {
		return nil
	}
	d.Access.Handler = handler
	d.Summary, d.Explanation = d.Access.Explain(d.Kind, d.Thread)
	return d
}

// faultAt finds the facts of the fault si of the crashed thread's frame
// first: what the instruction there did to which address, and so the
// diagnosis's kind. Access.Explain words them.
func (a *analysis) faultAt(si *corefile.Siginfo, first int) *report.Diagnosis {
	c := a.s.Core
	ct := a.crashed()
	f0 := ct.stack.Frames[first]
	if !a.s.Mem.Executable(f0.PC) {
		return nil // the control-flow diagnoses cover a bad PC
	}
	tid := ct.core.TID
	fr := ct.thread.Frames[first]
	acc := &report.Access{PC: report.Addr(f0.PC), Function: fr.Name(),
		Signo: si.Signo, Code: si.Code, SignalAddr: report.Addr(si.Addr),
		Offset: fr.Offset, Symbol: fr.Function != ""}
	inst, ok := a.s.decodeAt(f0.PC)
	if ok {
		acc.Instruction = x86.Intel(inst, f0.PC)
		acc.Size = inst.MemBytes
	}
	addr := report.Addr(si.Addr)
	d := &report.Diagnosis{Thread: tid, Access: acc}
	// The registers of the faulting frame: the thread's own, or, for a
	// fault a handler caught, those its signal frame saved (the thread's
	// are the handler's: a re-raise's rdi is its own pid).
	regs := ct.stack.Regs
	if first > 0 {
		regs = ct.stack.RegsAt(first)
	}
	switch si.Signo {
	case report.SIGSEGV:
		if si.Code == corefile.SI_KERNEL {
			a.generalProtection(d, inst, ok, regs, f0.PC)
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
			rsi, _ := x86.RegValue(&regs, x86asm.RSI)
			rdi, _ := x86.RegValue(&regs, x86asm.RDI)
			dsi, dsi2 := si.Addr-rsi, si.Addr-rdi
			if dsi < dsi2 {
				acc.Operation, acc.Operand = "read", fmt.Sprintf("[rsi] with rsi = %#x", rsi)
				acc.Base, acc.Pointer = "rsi", rsi
			} else {
				acc.Operation, acc.Operand = "write", fmt.Sprintf("[rdi] with rdi = %#x", rdi)
				acc.Base, acc.Pointer = "rdi", rdi
			}
		}
		if ok && acc.Operand == "" {
			var m x86asm.Mem
			_, m, acc.Operand, _ = x86.OperandWords(inst, &regs, f0.PC)
			if acc.Operand != "" && m.Base != 0 && m.Base != x86asm.RIP {
				// The base register is the pointer the code followed:
				// null when the displacement or index made the address,
				// the small value itself when the pointer held it.
				if v, ok := x86.RegValue(&regs, m.Base); ok {
					acc.Base, acc.Pointer = x86.RegName(m.Base), v
				}
			}
		}
		m := c.Mapping(si.Addr)
		switch {
		case si.Addr < minMapAddr:
			d.Kind = report.KindNullDereference
		case m != nil && si.Code == report.SEGV_ACCERR && acc.Operation == "write" && m.Perm&corefile.PermW == 0:
			d.Kind = report.KindWriteToReadonly
			acc.Mapping = a.mm.words(m)
		case m != nil && si.Code == report.SEGV_ACCERR && m.Perm == 0 && a.mm.role(m) != report.RoleGuard:
			d.Kind = report.KindInvalidAccess
			acc.ProtNone, acc.Mapping = true, a.mm.words(m)
		default:
			d.Kind = report.KindInvalidAccess
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
			if ea, _, operand, has := x86.OperandWords(inst, &regs, f0.PC); ok && has {
				ea2 := report.Addr(ea)
				acc.Address, acc.AddressSource = &ea2, "instruction"
				acc.Where = a.mm.describe(ea)
				acc.Operand = operand
			}
		default:
			d.Kind = report.KindBusError
		}
	case report.SIGILL:
		d.Kind = report.KindIllegalInstruction
		acc.Trap = ok && inst.Op == x86asm.UD2
	case report.SIGFPE:
		d.Kind = report.KindDivideError
		if ok && (inst.Op == x86asm.DIV || inst.Op == x86asm.IDIV) {
			if r, isReg := inst.Args[0].(x86asm.Reg); isReg && r != 0 {
				if v, ok := x86.RegValue(&regs, r); ok {
					acc.Divisor = &report.Divisor{Register: x86.RegName(r), Value: int64(v)}
				}
			} else {
				acc.Divisor = &report.Divisor{Memory: true}
			}
		}
	default:
		return nil
	}
	return d
}

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
