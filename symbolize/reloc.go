package symbolize

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"strings"
)

// Reloc is a dynamic relocation that fills one word of a module.
type Reloc struct {
	Offset  uint64 // link-time address of the word it writes
	Type    string // R_X86_64_RELATIVE, R_X86_64_GLOB_DAT, R_X86_64_JUMP_SLOT, RELR, ...
	Symbol  string // for symbol relocations
	Addend  int64
	Section string // .rela.dyn, .rela.plt or .relr.dyn
}

// RelocAt returns the dynamic relocation that writes the word at link-time
// address fileAddr, from .rela.dyn, .rela.plt or .relr.dyn.
func (m *Module) RelocAt(fileAddr uint64) (Reloc, bool) {
	f := m.elf
	if f == nil {
		return Reloc{}, false
	}
	var dyn []elf.Symbol
	for _, name := range []string{".rela.dyn", ".rela.plt"} {
		s := f.Section(name)
		if s == nil || s.Size > maxSectionSize {
			continue
		}
		data, err := s.Data()
		if err != nil {
			continue
		}
		for i := 0; i+24 <= len(data); i += 24 {
			off := binary.LittleEndian.Uint64(data[i:])
			if off != fileAddr {
				continue
			}
			info := binary.LittleEndian.Uint64(data[i+8:])
			r := Reloc{Offset: off, Type: elf.R_X86_64(uint32(info)).String(), Addend: int64(binary.LittleEndian.Uint64(data[i+16:])), Section: name}
			if sym := info >> 32; sym > 0 {
				if dyn == nil {
					dyn, _ = f.DynamicSymbols()
				}
				if sym <= uint64(len(dyn)) {
					r.Symbol = dyn[sym-1].Name
				}
			}
			return r, true
		}
	}
	for _, a := range m.RELR() {
		if a == fileAddr {
			return Reloc{Offset: a, Type: "RELR (relative)", Section: ".relr.dyn"}, true
		}
	}
	return Reloc{}, false
}

// maxRELR bounds the addresses decoded from one .relr.dyn.
const maxRELR = 1 << 24

// RELR decodes .relr.dyn (SHT_RELR, the gABI's compact relative
// relocations): an even entry is an address to relocate; an odd entry is a
// bitmap whose bit i (from 1) relocates the word 8*i bytes past the base,
// which then advances by 63 words.
func (m *Module) RELR() []uint64 {
	if m.elf == nil {
		return nil
	}
	s := m.elf.Section(".relr.dyn")
	if s == nil || s.Size > maxSectionSize {
		return nil
	}
	data, err := s.Data()
	if err != nil {
		return nil
	}
	var out []uint64
	var base uint64
	for i := 0; i+8 <= len(data) && len(out) < maxRELR; i += 8 {
		e := binary.LittleEndian.Uint64(data[i:])
		if e&1 == 0 {
			out = append(out, e)
			base = e + 8
			continue
		}
		for bit := uint64(1); bit < 64; bit++ {
			if e&(1<<bit) != 0 {
				out = append(out, base+8*(bit-1))
			}
		}
		base += 63 * 8
	}
	return out
}

// LinkFacts are how a module was linked and how it expects to be loaded.
type LinkFacts struct {
	Type        string // "static", "static-pie", "dynamic (PIE)", "dynamic", "shared object"
	Interpreter string // PT_INTERP
	RELR        bool   // has DT_RELR (packed relative relocations)
	RelaCount   int    // entries in .rela.dyn
	TLS         bool   // has a PT_TLS segment
	TLSSize     uint64 // its p_memsz
	Libc        string // musl or glibc, when it can tell
}

// Facts returns the module's link facts.
func (m *Module) Facts() (LinkFacts, error) {
	f := m.elf
	if f == nil {
		return LinkFacts{}, fmt.Errorf("module %s: no file", m.Path)
	}
	var lf LinkFacts
	hasDynamic := false
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			if p.Filesz < 4096 {
				b := make([]byte, p.Filesz)
				if _, err := p.ReadAt(b, 0); err == nil {
					for len(b) > 0 && b[len(b)-1] == 0 {
						b = b[:len(b)-1]
					}
					lf.Interpreter = string(b)
				}
			}
		case elf.PT_DYNAMIC:
			hasDynamic = true
		case elf.PT_TLS:
			lf.TLS, lf.TLSSize = true, p.Memsz
		}
	}
	if s := f.Section(".relr.dyn"); s != nil {
		lf.RELR = true
	}
	// DT_RELRSZ (35) is newer than debug/elf's constant table.
	if ds, err := f.DynValue(elf.DynTag(35)); err == nil && len(ds) > 0 {
		lf.RELR = true
	}
	if s := f.Section(".rela.dyn"); s != nil {
		lf.RelaCount = int(s.Size / 24)
	}
	switch {
	case f.Type == elf.ET_EXEC && lf.Interpreter == "":
		lf.Type = "static"
	case f.Type == elf.ET_EXEC:
		lf.Type = "dynamic"
	case f.Type == elf.ET_DYN && lf.Interpreter != "":
		lf.Type = "dynamic (PIE)"
	case f.Type == elf.ET_DYN && hasDynamic && m.hasSymbol("_start"):
		lf.Type = "static-pie"
	default:
		lf.Type = "shared object"
	}
	switch {
	case contains(lf.Interpreter, "ld-musl") || m.hasSymbol("__libc_start_main") && m.hasSymbol("__init_libc"):
		lf.Libc = "musl"
	case contains(lf.Interpreter, "ld-linux") || m.hasSymbol("__libc_start_main_impl"):
		lf.Libc = "glibc"
	}
	return lf, nil
}

func (m *Module) hasSymbol(name string) bool {
	_, ok := m.LookupName(name)
	return ok
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// ReadFileAddr reads the module's file bytes that the loader maps at
// link-time address fileAddr (before any relocation).
func (m *Module) ReadFileAddr(p []byte, fileAddr uint64) error {
	if m.elf == nil {
		return fmt.Errorf("module %s: no file", m.Path)
	}
	for _, pr := range m.elf.Progs {
		if pr.Type != elf.PT_LOAD || fileAddr < pr.Vaddr || fileAddr+uint64(len(p)) > pr.Vaddr+pr.Filesz {
			continue
		}
		_, err := pr.ReadAt(p, int64(fileAddr-pr.Vaddr))
		return err
	}
	return fmt.Errorf("module %s: %#x is not in a PT_LOAD's file bytes", m.Path, fileAddr)
}

// LinkRange returns the link-time address range its PT_LOADs cover.
func (m *Module) LinkRange() (lo, hi uint64, ok bool) {
	if m.elf == nil {
		return 0, 0, false
	}
	lo = ^uint64(0)
	for _, pr := range m.elf.Progs {
		if pr.Type != elf.PT_LOAD {
			continue
		}
		lo, hi, ok = min(lo, pr.Vaddr), max(hi, pr.Vaddr+pr.Memsz), true
	}
	return lo, hi, ok
}

// SectionAt names the allocated section holding link-time address fileAddr.
func (m *Module) SectionAt(fileAddr uint64) string {
	if m.elf == nil {
		return ""
	}
	for _, s := range m.elf.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Size > 0 && fileAddr >= s.Addr && fileAddr-s.Addr < s.Size {
			return s.Name
		}
	}
	return ""
}

// RelativeRelocs returns the link-time addresses and addends of the
// module's R_X86_64_RELATIVE relocations in .rela.dyn, at most max.
func (m *Module) RelativeRelocs(max int) (addrs []uint64, addends []uint64) {
	if m.elf == nil {
		return nil, nil
	}
	s := m.elf.Section(".rela.dyn")
	if s == nil || s.Size > maxSectionSize {
		return nil, nil
	}
	data, err := s.Data()
	if err != nil {
		return nil, nil
	}
	for i := 0; i+24 <= len(data) && len(addrs) < max; i += 24 {
		if elf.R_X86_64(uint32(binary.LittleEndian.Uint64(data[i+8:]))) != elf.R_X86_64_RELATIVE {
			continue
		}
		addrs = append(addrs, binary.LittleEndian.Uint64(data[i:]))
		addends = append(addends, binary.LittleEndian.Uint64(data[i+16:]))
	}
	return addrs, addends
}

// SectionIsCode reports whether link-time address fileAddr lies in an
// executable section.
func (m *Module) SectionIsCode(fileAddr uint64) bool {
	if m.elf == nil {
		return false
	}
	for _, s := range m.elf.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Size > 0 && fileAddr >= s.Addr && fileAddr-s.Addr < s.Size {
			return s.Flags&elf.SHF_EXECINSTR != 0
		}
	}
	return false
}
