package analyze

import (
	"encoding/binary"
	"fmt"

	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/symbolize"
)

func linkInfo(m *symbolize.Module) report.LinkInfo {
	lf, err := m.Facts()
	if err != nil {
		return report.LinkInfo{}
	}
	return report.LinkInfo{Type: lf.Type, Interpreter: lf.Interpreter, RELR: lf.RELR, TLS: lf.TLS, TLSSize: lf.TLSSize, Libc: lf.Libc}
}

// maxRelocCheck bounds how many relocations are checked in memory.
const maxRelocCheck = 4096

// checkRelocs reads the words relative relocations target and counts
// which were applied.
func (a *analysis) checkRelocs(m *symbolize.Module) report.RelocCheck {
	var rc report.RelocCheck
	var w, fw [8]byte
	mem := func(addr uint64) (uint64, bool) {
		if _, err := a.s.Mem.ReadAt(w[:], m.RuntimeAddr(addr)); err != nil {
			return 0, false
		}
		return binary.LittleEndian.Uint64(w[:]), true
	}
	relr := m.RELR()
	if len(relr) > maxRelocCheck {
		relr = relr[:maxRelocCheck]
	}
	for _, addr := range relr {
		v, ok := mem(addr)
		if !ok || m.ReadFileAddr(fw[:], addr) != nil {
			continue
		}
		rc.RELR++
		if v == m.RuntimeAddr(binary.LittleEndian.Uint64(fw[:])) {
			rc.RELRApplied++
		}
	}
	addrs, addends := m.RelativeRelocs(maxRelocCheck)
	for i, addr := range addrs {
		v, ok := mem(addr)
		if !ok {
			continue
		}
		rc.Relative++
		if v == m.RuntimeAddr(addends[i]) {
			rc.RelativeApply++
		}
	}
	return rc
}

// diagnoseUnrelocated looks for a pointer the crash used that is a
// link-time address of a position-independent module.
func (a *analysis) diagnoseUnrelocated(cf *report.ControlFlow) *report.Diagnosis {
	c := a.s.Core
	type cand struct {
		v    uint64
		used string
		slot *report.Slot
	}
	var cands []cand
	if cf != nil {
		cands = append(cands, cand{uint64(cf.PC), "pc", cf.Slot})
	}
	if si := c.Siginfo; si != nil && si.HasAddr() && c.Mapping(si.Addr) == nil {
		cands = append(cands, cand{si.Addr, "fault address", nil})
	}
	// The module the pointer was loaded from and the module that used it
	// are the likely owners; the vDSO is never relocated by anyone.
	var order []*symbolize.Module
	if cf != nil && cf.Slot != nil {
		order = append(order, a.s.Modules.Module(uint64(cf.Slot.Address)))
	}
	if ct := a.crashed(); ct != nil && len(ct.stack.Frames) > 1 {
		order = append(order, a.s.Modules.Module(ct.stack.Frames[1].PC))
	}
	order = append(order, a.s.Modules.Modules...)
	for _, cd := range cands {
		if cd.v == 0 {
			continue
		}
		for _, m := range order {
			if m == nil || m.Bias == 0 || m.ELF() == nil || m.Name() == "[vdso]" {
				continue
			}
			lo, hi, ok := m.LinkRange()
			if !ok || cd.v < lo || cd.v >= hi || !m.Contains(m.RuntimeAddr(cd.v)) {
				continue
			}
			u := &report.Unrelocated{Pointer: report.Addr(cd.v), Used: cd.used, Module: m.Path, Base: report.Addr(m.Bias), Resolves: report.Addr(m.RuntimeAddr(cd.v)),
				Section: m.SectionAt(cd.v), Slot: cd.slot, Link: linkInfo(m)}
			if m.SectionIsCode(cd.v) {
				if sym, ok := m.Lookup(cd.v); ok {
					u.Symbol = fmt.Sprintf("%s+%#x", a.s.demangle(sym.Name), cd.v-sym.Addr)
				}
			} else if o, ok := m.LookupObject(cd.v); ok {
				u.Symbol = fmt.Sprintf("%s+%#x", a.s.demangle(o.Name), cd.v-o.Addr)
			}
			if u.Symbol == "" && u.Section == "" {
				continue
			}
			u.Relocations = a.checkRelocs(m)
			return a.unrelocatedDiagnosis(u)
		}
	}
	return nil
}

func (a *analysis) unrelocatedDiagnosis(u *report.Unrelocated) *report.Diagnosis {
	// A core without NT_PRSTATUS notes has no threads; the fault
	// address alone can still be an unrelocated pointer.
	tid, who := 0, "The process"
	if t := a.s.Core.CrashedThread(); t != nil {
		tid, who = t.TID, fmt.Sprintf("Thread %d", t.TID)
	}
	d := &report.Diagnosis{Kind: report.KindUnrelocated, Thread: tid, Unrelocated: u}
	target := u.Symbol
	if target == "" {
		target = "section " + u.Section
	} else if u.Section != "" {
		target += " in " + u.Section
	}
	d.Summary = fmt.Sprintf("%s used an unrelocated pointer: the %s %#x is a link-time address of %s; loaded at base %#x it should have been %#x (%s). A relocation was not applied.",
		who, u.Used, uint64(u.Pointer), u.Module, uint64(u.Base), uint64(u.Resolves), target)
	rc, l := u.Relocations, u.Link
	// In plain words first, for a reader who has never heard of
	// relocations or RELR; the numbers after.
	d.Explanation = append(d.Explanation, fmt.Sprintf("%s is position-independent: it is linked as if it were loaded at address 0, so the pointers it stores to its own code and data (function pointers, vtables, GOT slots, .init_array entries) hold addresses counted from 0. Whatever loads it must add the load address (here %#x) to each of them; these fix-ups are its relocations. One was not done, so the program used the address counted from 0.",
		baseName(u.Module), uint64(u.Base)))
	if l.RELR {
		d.Explanation = append(d.Explanation, fmt.Sprintf("This program stores its relocations as DT_RELR (it was linked with -z pack-relative-relocs), a compact encoding that musl before 1.2.4 and glibc before 2.36 do not understand: with such a C library none of the pointers are fixed up, so the first one the program uses is a small number like %#x instead of an address, and it crashes there.", uint64(u.Pointer)))
	}
	if s := u.Slot; s != nil && s.Relocation != nil {
		from := fmt.Sprintf("%#x", uint64(s.Address))
		if s.Object != "" {
			from = fmt.Sprintf("%s (%#x)", s.Object, uint64(s.Address))
		}
		if s.Section != "" {
			from += ", " + slotWords(s)
		}
		d.Explanation = append(d.Explanation, fmt.Sprintf("The pointer was loaded from %s, which the %s relocation in %s should have set to %#x: it still holds the link-time value.",
			from, s.Relocation.Type, s.Relocation.Section, uint64(u.Resolves)))
	}
	if rc.RELR > 0 {
		d.Explanation = append(d.Explanation, fmt.Sprintf("%d of the %d RELR relocations checked in %s were applied in memory: the rest still hold their link-time values.", rc.RELRApplied, rc.RELR, u.Module))
	}
	if rc.Relative > 0 {
		d.Explanation = append(d.Explanation, fmt.Sprintf("%d of the %d R_X86_64_RELATIVE relocations checked in .rela.dyn were applied.", rc.RelativeApply, rc.Relative))
	}
	facts := fmt.Sprintf("%s is a %s executable", u.Module, l.Type)
	if l.Interpreter != "" {
		facts += fmt.Sprintf(" (interpreter %s)", l.Interpreter)
	}
	if l.RELR {
		facts += " with DT_RELR, packed relative relocations (linked with -z pack-relative-relocs)"
	}
	if l.Libc != "" {
		facts += "; its C library is " + l.Libc
	}
	d.Explanation = append(d.Explanation, facts+".")
	switch {
	case l.RELR && rc.RELR > 0 && rc.RELRApplied == 0:
		d.Explanation = append(d.Explanation, "None of its RELR relocations were applied: the code that relocates the program (the dynamic loader, or a static-pie's own start-up code) does not know DT_RELR. Relink without -z pack-relative-relocs, or use musl 1.2.4 or later, glibc 2.36 or later.")
	case rc.RELR == 0 && rc.Relative > 0 && rc.RelativeApply == 0 && l.Interpreter == "":
		d.Explanation = append(d.Explanation, "None of its relocations were applied: a static-pie relocates itself in its start-up code (glibc's _dl_relocate_static_pie, musl's _dlstart_c), and the crash happened before that ran, or in start-up code of its own that calls through pointers before relocating.")
	}
	return d
}

// unrelocatedWhere rewrites the signal's "where" when its address is the
// unrelocated pointer: 0x1150 is not "a null pointer plus 0x1150".
func (a *analysis) unrelocatedWhere(u *report.Unrelocated, cf *report.ControlFlow) {
	target := u.Symbol
	if target == "" {
		target = u.Section
	}
	where := fmt.Sprintf("in no mapping: the unrelocated link-time address of %s in %s, which should have been %#x", target, baseName(u.Module), uint64(u.Resolves))
	if cf != nil && u.Used == "pc" {
		cf.Where = where
	}
	if sg := a.report.Signal; sg != nil && sg.Address != nil && *sg.Address == u.Pointer {
		sg.Where = where
	}
}
