package analyze

import (
	"encoding/binary"
	"fmt"

	"github.com/coreview/coreview/symbolize"
)

// Unrelocated is the detail of an "unrelocated-pointer" diagnosis: a
// pointer the crash used is a module's link-time address, which the loader
// should have turned into a runtime address by adding the load base.
type Unrelocated struct {
	Pointer Addr   `json:"pointer"`
	Used    string `json:"used"` // pc, fault address, call slot
	Module  string `json:"module"`
	Base    Addr   `json:"base"`
	// Resolves is pointer+base: where the pointer should have pointed.
	Resolves Addr   `json:"resolves"`
	Symbol   string `json:"symbol,omitempty"`
	Section  string `json:"section,omitempty"`
	Slot     *Slot  `json:"slot,omitempty"`
	// Relocations says how many of the module's relative relocations
	// were applied in memory.
	Relocations RelocCheck `json:"relocations"`
	Link        LinkInfo   `json:"link"`
}

// RelocCheck counts relative relocations whose word in memory was (or was
// not) relocated: a relocated word holds its link-time value plus the
// base, an unrelocated one still holds the value in the file.
type RelocCheck struct {
	RELR          int `json:"relr"`
	RELRApplied   int `json:"relr_applied"`
	Relative      int `json:"rela_relative"`
	RelativeApply int `json:"rela_relative_applied"`
}

// LinkInfo is how a module was linked.
type LinkInfo struct {
	Type        string `json:"type"`
	Interpreter string `json:"interpreter,omitempty"`
	RELR        bool   `json:"relr"`
	TLS         bool   `json:"tls"`
	TLSSize     uint64 `json:"tls_size,omitempty"`
	Libc        string `json:"libc,omitempty"`
}

func linkInfo(m *symbolize.Module) LinkInfo {
	lf, err := m.Facts()
	if err != nil {
		return LinkInfo{}
	}
	return LinkInfo{Type: lf.Type, Interpreter: lf.Interpreter, RELR: lf.RELR, TLS: lf.TLS, TLSSize: lf.TLSSize, Libc: lf.Libc}
}

// maxRelocCheck bounds how many relocations are checked in memory.
const maxRelocCheck = 4096

// checkRelocs reads the words relative relocations target and counts
// which were applied.
func (a *analysis) checkRelocs(m *symbolize.Module) RelocCheck {
	var rc RelocCheck
	var w, fw [8]byte
	mem := func(addr uint64) (uint64, bool) {
		if _, err := a.s.Mem.ReadAt(w[:], addr+m.Bias); err != nil {
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
		if v == binary.LittleEndian.Uint64(fw[:])+m.Bias {
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
		if v == addends[i]+m.Bias {
			rc.RelativeApply++
		}
	}
	return rc
}

// diagnoseUnrelocated looks for a pointer the crash used that is a
// link-time address of a position-independent module.
func (a *analysis) diagnoseUnrelocated(cf *ControlFlow) *Diagnosis {
	c := a.s.Core
	type cand struct {
		v    uint64
		used string
		slot *Slot
	}
	var cands []cand
	if cf != nil {
		cands = append(cands, cand{uint64(cf.PC), "pc", cf.Slot})
	}
	if si := c.Siginfo; si != nil && si.HasAddr() && c.Mapping(si.Addr) == nil {
		cands = append(cands, cand{si.Addr, "fault address", nil})
	}
	for _, cd := range cands {
		if cd.v == 0 {
			continue
		}
		for _, m := range a.s.Modules.Modules {
			if m.Bias == 0 || m.ELF() == nil {
				continue
			}
			lo, hi, ok := m.LinkRange()
			if !ok || cd.v < lo || cd.v >= hi || !m.Contains(cd.v+m.Bias) {
				continue
			}
			u := &Unrelocated{Pointer: Addr(cd.v), Used: cd.used, Module: m.Path, Base: Addr(m.Bias), Resolves: Addr(cd.v + m.Bias),
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

func (a *analysis) unrelocatedDiagnosis(u *Unrelocated) *Diagnosis {
	tid := a.s.Core.Threads[0].TID
	d := &Diagnosis{Kind: "unrelocated-pointer", Thread: tid, Unrelocated: u}
	target := u.Symbol
	if target == "" {
		target = "section " + u.Section
	} else if u.Section != "" {
		target += " in " + u.Section
	}
	d.Summary = fmt.Sprintf("Thread %d used an unrelocated pointer: the %s %#x is a link-time address of %s; loaded at base %#x it should have been %#x (%s). A relocation was not applied.",
		tid, u.Used, uint64(u.Pointer), u.Module, uint64(u.Base), uint64(u.Resolves), target)
	rc := u.Relocations
	if rc.RELR > 0 {
		d.Explanation = append(d.Explanation, fmt.Sprintf("%d of the %d RELR relocations checked in %s were applied in memory: the rest still hold their link-time values.", rc.RELRApplied, rc.RELR, u.Module))
	}
	if rc.Relative > 0 {
		d.Explanation = append(d.Explanation, fmt.Sprintf("%d of the %d R_X86_64_RELATIVE relocations checked in .rela.dyn were applied.", rc.RelativeApply, rc.Relative))
	}
	if u.Slot != nil && u.Slot.Relocation != nil {
		d.Explanation = append(d.Explanation, fmt.Sprintf("The pointer was loaded from %#x, which a %s relocation in %s should have written.", uint64(u.Slot.Address), u.Slot.Relocation.Type, u.Slot.Relocation.Section))
	}
	l := u.Link
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
	if l.RELR && rc.RELR > 0 && rc.RELRApplied == 0 {
		d.Explanation = append(d.Explanation, "None of its RELR relocations were applied: the code that relocates the program (the dynamic loader, or a static-pie's own start-up code) does not know DT_RELR. musl before 1.2.4 and glibc before 2.36 do not process DT_RELR; relink without -z pack-relative-relocs, or use a newer C library.")
	}
	return d
}
