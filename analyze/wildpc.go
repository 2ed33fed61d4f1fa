package analyze

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// controlFlow examines frame 0 of the crashed thread when its PC is in no
// executable mapping: the call that got there, and the slot it loaded the
// target from.
func (a *analysis) controlFlow() *report.ControlFlow {
	ct := a.crashed()
	if ct == nil || len(ct.stack.Frames) == 0 {
		return nil
	}
	st := ct.stack
	f0 := st.Frames[0]
	if a.s.Mem.Executable(f0.PC) {
		return nil
	}
	cf := &report.ControlFlow{PC: report.Addr(f0.PC), Where: a.mm.describe(f0.PC)}
	if len(st.Frames) < 2 || st.Frames[1].Method != stackmap.MethodCall {
		return cf
	}
	f1 := st.Frames[1]
	fr := ct.thread.Frames[1]
	cf.Caller = &report.FrameRef{Index: 1, PC: fr.PC, Function: fr.Name(), Module: fr.Module}
	inst, at, ok := a.s.callBefore(f1.PC)
	if !ok {
		return cf
	}
	cf.Call, cf.CallSite = x86.Intel(inst, at), report.Addr(at)
	// Registers at the call: frame 0's, except that the call pushed the
	// return address, so rsp was 8 higher.
	regs := st.Regs
	regs.Set(stackmap.RSP, f0.SP+8)
	switch arg := inst.Args[0].(type) {
	case x86asm.Mem:
		addr, desc, ok := x86.EffectiveAddr(arg, &regs, f1.PC)
		if !ok {
			return cf
		}
		cf.Slot = a.slotAt(addr, x86.WithRegs(x86.Intel(inst, at), desc))
	case x86asm.Reg:
		v, ok := x86.RegValue(&regs, arg)
		if !ok {
			return cf
		}
		cf.Register = fmt.Sprintf("%s = %#x", x86.RegName(arg), v)
		funcStart, _ := a.s.code.FuncStart(at)
		rl, ok := a.s.traceCallRegister(at, funcStart, arg)
		if !ok {
			return cf
		}
		cf.LoadedBy = fmt.Sprintf("`%s` at %#x", x86.Intel(rl.load.inst, rl.load.at), rl.load.at)
		for i := len(rl.path) - 1; i >= 0; i-- {
			cf.LoadedBy += ", " + rl.path[i]
		}
		// The slot's address needs the load's registers: rip, or base
		// and index registers that nothing between the load and the
		// call changed.
		if !rl.hasMem || !regsUnchanged(rl.mem, rl.after) {
			return cf
		}
		addr, desc, ok := x86.EffectiveAddr(rl.mem, &regs, rl.load.at+uint64(rl.load.inst.Len))
		if !ok {
			return cf
		}
		cf.Slot = a.slotAt(addr, x86.WithRegs(x86.Intel(rl.load.inst, rl.load.at), desc))
	}
	return cf
}

// slotAt describes the word at addr that a call target was loaded from:
// its value, the data object holding it, and the relocation that should
// have written it.
func (a *analysis) slotAt(addr uint64, operand string) *report.Slot {
	slot := &report.Slot{Address: report.Addr(addr), Where: a.mm.describe(addr), Operand: operand}
	if v, err := a.s.Mem.ReadUint64(addr); err == nil {
		slot.Value = report.Addr(v)
	}
	if m := a.s.Modules.Module(addr); m != nil {
		fileAddr := m.FileAddr(addr)
		slot.Section, slot.Module = m.SectionAt(fileAddr), m.Path
		if o, ok := m.LookupObject(fileAddr); ok {
			slot.Object = fmt.Sprintf("%s+%#x", a.s.demangle(o.Name), fileAddr-o.Addr)
		}
		if r, ok := m.RelocAt(fileAddr); ok {
			slot.Relocation = &report.Relocation{Module: m.Path, Type: r.Type, Symbol: r.Symbol, Addend: r.Addend, Section: r.Section}
		}
	}
	return slot
}

// diagnoseWildPC reports null-call, bad-pc and exec-non-exec. When the PC
// is an unrelocated link-time address (unreloc), it is reported as that,
// not as a null pointer plus an offset or as unmapped code.
func (a *analysis) diagnoseWildPC(cf *report.ControlFlow, unreloc *report.Diagnosis) *report.Diagnosis {
	if cf == nil {
		return nil
	}
	tid := a.crashed().core.TID
	d := &report.Diagnosis{Thread: tid, ControlFlow: cf}
	pc := uint64(cf.PC)
	var u *report.Unrelocated
	if unreloc != nil && unreloc.Unrelocated.Used == "pc" {
		u = unreloc.Unrelocated
	}
	m := a.s.Core.Mapping(pc)
	switch {
	case u != nil:
		d.Kind = report.KindBadPC
	case pc < minMapAddr:
		// The same bound as a null data pointer: nothing is ever mapped
		// in the first 64 KiB (vm.mmap_min_addr).
		d.Kind = report.KindNullCall
	case m == nil:
		d.Kind = report.KindBadPC
	default:
		d.Kind = report.KindExecNonExec
		cf.Target, cf.TargetPerms = a.mm.words(m), m.Perm.String()
	}
	d.Summary = cf.Summary(d.Kind, tid, u)
	d.Explanation = cf.Explain()
	return d
}
