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
	tid := 0
	if t := a.s.Core.CrashedThread(); t != nil {
		tid = t.TID
	}
	d := &report.Diagnosis{Kind: report.KindUnrelocated, Thread: tid, Unrelocated: u}
	d.Summary, d.Explanation = u.Explain(tid)
	return d
}

// unrelocatedWhere rewrites the signal's "where" when its address is the
// unrelocated pointer: 0x1150 is not "a null pointer plus 0x1150".
func (a *analysis) unrelocatedWhere(u *report.Unrelocated, cf *report.ControlFlow) {
	target := u.Symbol
	if target == "" {
		target = u.Section
	}
	where := fmt.Sprintf("in no mapping: the unrelocated link-time address of %s in %s, which should have been %#x", target, report.BaseName(u.Module), uint64(u.Resolves))
	if cf != nil && u.Used == "pc" {
		cf.Where = where
	}
	if sg := a.report.Signal; sg != nil && sg.Address != nil && *sg.Address == u.Pointer {
		sg.Where = where
	}
}
