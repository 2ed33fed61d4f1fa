package analyze

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/stackmap"
)

// ControlFlow is the detail of the diagnoses about a PC that makes no
// sense: null-call, bad-pc, unrelocated-pointer.
type ControlFlow struct {
	PC    Addr   `json:"pc"`
	Where string `json:"where"`
	// Caller is the frame that made the call, found from the return
	// address at [rsp].
	Caller *FrameRef `json:"caller,omitempty"`
	// Call is the call instruction before the return address.
	Call     string `json:"call_instruction,omitempty"`
	CallSite Addr   `json:"call_site,omitempty"`
	// Slot is the memory the call loaded its target from, for an indirect
	// call through memory (a vtable or GOT slot, a struct field).
	Slot *Slot `json:"slot,omitempty"`
	// Register is the register an indirect call through a register used.
	Register string `json:"register,omitempty"`
}

// FrameRef names a frame.
type FrameRef struct {
	Index    int    `json:"index"`
	PC       Addr   `json:"pc"`
	Function string `json:"function"`
	Module   string `json:"module"`
}

// Slot is a word of memory a pointer was loaded from.
type Slot struct {
	Address Addr   `json:"address"`
	Value   Addr   `json:"value"`
	Where   string `json:"where"`
	// Operand is the memory operand with the registers it used.
	Operand string `json:"operand"`
	// Object is the data symbol holding the slot (a vtable, a struct).
	Object string `json:"object,omitempty"`
	// Relocation is the dynamic relocation that should have written it.
	Relocation *Relocation `json:"relocation,omitempty"`
}

// Relocation describes a dynamic relocation of a module.
type Relocation struct {
	Module  string `json:"module"`
	Type    string `json:"type"`
	Symbol  string `json:"symbol,omitempty"`
	Addend  int64  `json:"addend,omitempty"`
	Section string `json:"section"`
}

// nullPage is the end of the range where a PC or data address counts as
// "null plus a small offset".
const nullPage = 4096

// controlFlow examines frame 0 of the crashed thread when its PC is in no
// executable mapping: the call that got there, and the slot it loaded the
// target from.
func (a *analysis) controlFlow() *ControlFlow {
	if len(a.stacks) == 0 || len(a.stacks[0].Frames) == 0 {
		return nil
	}
	st := a.stacks[0]
	f0 := st.Frames[0]
	if a.s.Mem.Executable(f0.PC) {
		return nil
	}
	cf := &ControlFlow{PC: Addr(f0.PC), Where: a.mm.describe(f0.PC)}
	if len(st.Frames) < 2 || st.Frames[1].Method != stackmap.MethodCall {
		return cf
	}
	f1 := st.Frames[1]
	fr := a.report.Threads[0].Frames[1]
	cf.Caller = &FrameRef{Index: 1, PC: fr.PC, Function: fr.Function, Module: fr.Module}
	inst, at, ok := a.s.callBefore(f1.PC)
	if !ok {
		return cf
	}
	cf.Call, cf.CallSite = intel(inst, at), Addr(at)
	// Registers at the call: frame 0's, except that the call pushed the
	// return address, so rsp was 8 higher.
	regs := f0.Regs
	regs.Set(stackmap.RSP, f0.SP+8)
	switch arg := inst.Args[0].(type) {
	case x86asm.Mem:
		addr, desc, ok := effectiveAddr(arg, &regs, f1.PC)
		if !ok {
			return cf
		}
		slot := &Slot{Address: Addr(addr), Where: a.mm.describe(addr), Operand: intel(inst, at)}
		if desc != "" {
			slot.Operand += " with " + desc
		}
		if v, err := a.s.Mem.ReadUint64(addr); err == nil {
			slot.Value = Addr(v)
		}
		if m := a.s.Modules.Module(addr); m != nil {
			fileAddr := m.FileAddr(addr)
			if o, ok := m.LookupObject(fileAddr); ok {
				slot.Object = fmt.Sprintf("%s+%#x", a.s.demangle(o.Name), fileAddr-o.Addr)
			}
			if r, ok := m.RelocAt(fileAddr); ok {
				slot.Relocation = &Relocation{Module: m.Path, Type: r.Type, Symbol: r.Symbol, Addend: r.Addend, Section: r.Section}
			}
		}
		cf.Slot = slot
	case x86asm.Reg:
		if v, ok := regValue(&regs, arg); ok {
			cf.Register = fmt.Sprintf("%s = %#x", regName(arg), v)
		}
	}
	return cf
}

// diagnoseWildPC reports null-call and bad-pc.
func (a *analysis) diagnoseWildPC(cf *ControlFlow) *Diagnosis {
	if cf == nil {
		return nil
	}
	tid := a.s.Core.Threads[0].TID
	d := &Diagnosis{Thread: tid, ControlFlow: cf}
	pc := uint64(cf.PC)
	caller := "an unknown caller"
	if cf.Caller != nil {
		caller = fmt.Sprintf("%s (#1, %s)", nameOr(cf.Caller.Function, "??"), nameOr(cf.Caller.Module, "?"))
	}
	if pc < nullPage {
		d.Kind = "null-call"
		d.Summary = fmt.Sprintf("Thread %d called a null function pointer: %s jumped to %#x.", tid, caller, pc)
	} else {
		d.Kind = "bad-pc"
		m := a.s.Core.Mapping(pc)
		switch {
		case m == nil:
			d.Summary = fmt.Sprintf("Thread %d jumped to %#x, where nothing is mapped: code that is no longer mapped (as after dlclose) or a stale function pointer. The jump came from %s.", tid, pc, caller)
		default:
			d.Kind = "exec-non-exec"
			d.Summary = fmt.Sprintf("Thread %d executed data: %s jumped to %#x, in %s, which is not executable (%s): a function pointer that points at data.", tid, caller, pc, a.mm.words(m), m.Perm)
		}
	}
	d.Explanation = cf.explain()
	return d
}

func (cf *ControlFlow) explain() []string {
	var out []string
	if cf.Call != "" {
		out = append(out, fmt.Sprintf("The call at %#x was `%s`.", uint64(cf.CallSite), cf.Call))
	}
	if cf.Register != "" {
		out = append(out, "It called through a register: "+cf.Register+".")
	}
	if s := cf.Slot; s != nil {
		line := fmt.Sprintf("It loaded the target from %#x (%s), which holds %#x", uint64(s.Address), s.Where, uint64(s.Value))
		if s.Object != "" {
			line += "; that word is " + s.Object
		}
		out = append(out, line+".")
		if r := s.Relocation; r != nil {
			rl := fmt.Sprintf("The slot is written at load time by a %s relocation in %s of %s", r.Type, r.Section, r.Module)
			if r.Symbol != "" {
				rl += " for " + r.Symbol
			}
			out = append(out, rl+".")
		}
	}
	return out
}
