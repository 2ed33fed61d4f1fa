package analyze

import (
	"fmt"
	"strings"

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
	// LoadedBy is the instruction that loaded that register, found on the
	// straight-line path before the call: `mov rax, qword ptr [rip+X]`.
	LoadedBy string `json:"loaded_by,omitempty"`
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
	// Section is the ELF section of the module that holds the slot:
	// .got, .data, .bss, .data.rel.ro, .init_array.
	Section string `json:"section,omitempty"`
	// Module is that module's path.
	Module string `json:"module,omitempty"`
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
	cf.Caller = &FrameRef{Index: 1, PC: fr.PC, Function: frameName(fr), Module: fr.Module}
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
		cf.Slot = a.slotAt(addr, withRegs(intel(inst, at), desc))
	case x86asm.Reg:
		v, ok := regValue(&regs, arg)
		if !ok {
			return cf
		}
		cf.Register = fmt.Sprintf("%s = %#x", regName(arg), v)
		funcStart, _ := a.s.code.FuncStart(at)
		rl, ok := a.s.traceCallRegister(at, funcStart, arg)
		if !ok {
			return cf
		}
		cf.LoadedBy = fmt.Sprintf("`%s` at %#x", intel(rl.load.inst, rl.load.at), rl.load.at)
		for i := len(rl.path) - 1; i >= 0; i-- {
			cf.LoadedBy += ", " + rl.path[i]
		}
		// The slot's address needs the load's registers: rip, or base
		// and index registers that nothing between the load and the
		// call changed.
		if !rl.hasMem || !regsUnchanged(rl.mem, rl.after) {
			return cf
		}
		addr, desc, ok := effectiveAddr(rl.mem, &regs, rl.load.at+uint64(rl.load.inst.Len))
		if !ok {
			return cf
		}
		cf.Slot = a.slotAt(addr, withRegs(intel(rl.load.inst, rl.load.at), desc))
	}
	return cf
}

// slotAt describes the word at addr that a call target was loaded from:
// its value, the data object holding it, and the relocation that should
// have written it.
func (a *analysis) slotAt(addr uint64, operand string) *Slot {
	slot := &Slot{Address: Addr(addr), Where: a.mm.describe(addr), Operand: operand}
	if v, err := a.s.Mem.ReadUint64(addr); err == nil {
		slot.Value = Addr(v)
	}
	if m := a.s.Modules.Module(addr); m != nil {
		fileAddr := m.FileAddr(addr)
		slot.Section, slot.Module = m.SectionAt(fileAddr), m.Path
		if o, ok := m.LookupObject(fileAddr); ok {
			slot.Object = fmt.Sprintf("%s+%#x", a.s.demangle(o.Name), fileAddr-o.Addr)
		}
		if r, ok := m.RelocAt(fileAddr); ok {
			slot.Relocation = &Relocation{Module: m.Path, Type: r.Type, Symbol: r.Symbol, Addend: r.Addend, Section: r.Section}
		}
	}
	return slot
}

// diagnoseWildPC reports null-call, bad-pc and exec-non-exec. When the PC
// is an unrelocated link-time address (unreloc), it is reported as that,
// not as a null pointer plus an offset or as unmapped code.
func (a *analysis) diagnoseWildPC(cf *ControlFlow, unreloc *Diagnosis) *Diagnosis {
	if cf == nil {
		return nil
	}
	tid := a.s.Core.Threads[0].TID
	d := &Diagnosis{Thread: tid, ControlFlow: cf}
	pc := uint64(cf.PC)
	caller := "an unknown caller"
	if cf.Caller != nil {
		caller = fmt.Sprintf("%s (#1, %s)", cf.Caller.Function, nameOr(cf.Caller.Module, "?"))
	}
	m := a.s.Core.Mapping(pc)
	switch {
	case unreloc != nil && unreloc.Unrelocated.Used == "pc":
		u := unreloc.Unrelocated
		d.Kind = "bad-pc"
		d.Summary = fmt.Sprintf("Thread %d jumped to %#x, where nothing is mapped: %s called the unrelocated pointer above, %s's link-time address of %s, instead of %#x.",
			tid, pc, caller, baseName(u.Module), nameOr(u.Symbol, u.Section), uint64(u.Resolves))
	case pc < minMapAddr:
		// The same bound as a null data pointer: nothing is ever mapped
		// in the first 64 KiB (vm.mmap_min_addr).
		d.Kind = "null-call"
		d.Summary = fmt.Sprintf("Thread %d called a null function pointer: %s jumped to %#x.", tid, caller, pc)
		if pc != 0 {
			d.Summary = strings.TrimSuffix(d.Summary, ".") + fmt.Sprintf(" (null + %#x: a function pointer read from a field of a null struct pointer, or an offset used as a pointer).", pc)
		}
	case m == nil:
		d.Kind = "bad-pc"
		d.Summary = fmt.Sprintf("Thread %d jumped to %#x, where nothing is mapped: code that is no longer mapped (as after dlclose) or a stale function pointer. The jump came from %s.", tid, pc, caller)
	default:
		d.Kind = "exec-non-exec"
		d.Summary = fmt.Sprintf("Thread %d executed data: %s jumped to %#x, in %s, which is not executable (%s): a function pointer that points at data.", tid, caller, pc, a.mm.words(m), m.Perm)
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
		line := "It called through a register: " + cf.Register
		if cf.LoadedBy != "" {
			line += ", loaded by " + cf.LoadedBy
		}
		out = append(out, line+".")
	}
	if s := cf.Slot; s != nil {
		line := fmt.Sprintf("It loaded the target from %#x", uint64(s.Address))
		if s.Section != "" {
			line += fmt.Sprintf(", %s in %s", slotWords(s), baseName(s.Module))
		}
		line += fmt.Sprintf(" (%s), which holds %#x", s.Where, uint64(s.Value))
		if s.Object != "" {
			line += "; that word is " + s.Object
		}
		out = append(out, line+".")
		if r := s.Relocation; r != nil {
			rl := fmt.Sprintf("The slot is written at load time by the %s relocation in %s of %s", r.Type, r.Section, r.Module)
			if r.Symbol != "" {
				rl += " for " + r.Symbol
			}
			out = append(out, rl+".")
		}
	}
	return out
}

// slotWords names the kind of slot a section holds.
func slotWords(s *Slot) string {
	switch s.Section {
	case ".got", ".got.plt":
		return "a GOT slot (" + s.Section + ")"
	case ".init_array", ".fini_array", ".preinit_array", ".ctors", ".dtors":
		return "an entry of " + s.Section
	}
	return "a word of " + s.Section
}

// baseName is the last element of a path.
func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
