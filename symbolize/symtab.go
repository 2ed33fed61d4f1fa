package symbolize

import (
	"cmp"
	"debug/elf"
	"encoding/binary"
	"slices"
	"sort"
	"strings"
)

// Symbol is a function symbol: a name and the link-time range it covers.
type Symbol struct {
	Name  string // as in the ELF file (mangled)
	Addr  uint64 // link-time address
	Size  uint64 // 0 if unknown
	Local bool   // STB_LOCAL
}

// symtab is a module's function symbols sorted by address, and its data
// objects (STT_OBJECT, STT_TLS excluded) sorted the same way.
type symtab struct {
	syms    []Symbol
	objects []Symbol
}

// Lookup returns the function symbol covering the link-time address
// fileAddr, choosing as gdb's minimal-symbol lookup does
// (lookup_minimal_symbol_by_pc_section): the nearest symbol at or below the
// address that has a size and covers it, or one below that whose larger size
// still covers it (a nested symbol); failing that, the nearest zero-sized
// symbol (a label of unknown extent). A sized symbol that ends at or before
// the address does not cover it.
func (m *Module) Lookup(fileAddr uint64) (Symbol, bool) {
	syms := m.symtab().syms
	i := sort.Search(len(syms), func(i int) bool { return syms[i].Addr > fileAddr }) - 1
	zero := -1
	for ; i >= 0 && syms[i].Size == 0; i-- {
		if zero < 0 {
			zero = i
		}
	}
	covers := func(s Symbol) bool { return fileAddr-s.Addr < s.Size }
	if i >= 0 && !covers(syms[i]) && i > 0 && covers(syms[i-1]) {
		i--
	}
	if i >= 0 && covers(syms[i]) {
		return syms[i], true
	}
	if zero >= 0 {
		return syms[zero], true
	}
	return Symbol{}, false
}

// LookupObject returns the data object (STT_OBJECT) whose range holds the
// link-time address fileAddr: a vtable, a GOT-adjacent table, a global.
func (m *Module) LookupObject(fileAddr uint64) (Symbol, bool) {
	objs := m.symtab().objects
	i := sort.Search(len(objs), func(i int) bool { return objs[i].Addr > fileAddr }) - 1
	for ; i >= 0 && i >= len(objs)-1-1<<20; i-- {
		o := objs[i]
		if fileAddr-o.Addr < max(o.Size, 1) {
			return o, true
		}
		if o.Size > 0 || fileAddr-o.Addr > 1<<16 {
			break
		}
	}
	return Symbol{}, false
}

// LookupObjectName returns the data object with the given name.
func (m *Module) LookupObjectName(name string) (Symbol, bool) {
	for _, s := range m.symtab().objects {
		if s.Name == name {
			return s, true
		}
	}
	return Symbol{}, false
}

// LookupName returns the first symbol with the given (mangled) name.
func (m *Module) LookupName(name string) (Symbol, bool) {
	for _, s := range m.symtab().syms {
		if s.Name == name {
			return s, true
		}
	}
	return Symbol{}, false
}

// Symbols returns the module's function symbols sorted by address.
func (m *Module) Symbols() []Symbol { return m.symtab().syms }

func (m *Module) symtab() *symtab {
	m.symOnce.Do(func() { m.syms = readSymtab(m.elf) })
	return m.syms
}

// readSymtab collects function symbols from .symtab and .dynsym, plus
// name@plt entries synthesized from the PLT sections.
func readSymtab(f *elf.File) *symtab {
	st := &symtab{}
	if f == nil {
		return st
	}
	exec := func(idx elf.SectionIndex) bool {
		if idx == elf.SHN_UNDEF || idx >= elf.SHN_LORESERVE || int(idx) >= len(f.Sections) {
			return false
		}
		return f.Sections[idx].Flags&elf.SHF_EXECINSTR != 0
	}
	add := func(syms []elf.Symbol) {
		for _, s := range syms {
			typ := elf.ST_TYPE(s.Info)
			switch typ {
			case elf.STT_FUNC, elf.STT_GNU_IFUNC, elf.STT_NOTYPE:
			case elf.STT_OBJECT:
				if s.Name != "" && s.Section != elf.SHN_UNDEF {
					st.objects = append(st.objects, Symbol{Name: s.Name, Addr: s.Value, Size: s.Size, Local: elf.ST_BIND(s.Info) == elf.STB_LOCAL})
				}
				continue
			default:
				continue
			}
			if s.Name == "" || s.Value == 0 && s.Size == 0 || !exec(s.Section) {
				continue
			}
			if typ == elf.STT_NOTYPE && (s.Name[0] == '$' || s.Name[0] == '.') {
				continue
			}
			st.syms = append(st.syms, Symbol{Name: s.Name, Addr: s.Value, Size: s.Size, Local: elf.ST_BIND(s.Info) == elf.STB_LOCAL})
		}
	}
	if syms, err := f.Symbols(); err == nil {
		add(syms)
	}
	if dyn, err := f.DynamicSymbols(); err == nil {
		add(dyn)
		st.syms = append(st.syms, pltSymbols(f, dyn)...)
	}
	// Sort by address. Of aliases at one address keep one, as gdb would
	// print it: a sized symbol over a zero-sized one, then the name gdb's
	// sort puts last (minimal_symbol_is_less_than orders by address, then
	// name, and the lookup takes the last: "raise" over "gsignal").
	slices.SortFunc(st.syms, func(a, b Symbol) int {
		if c := cmp.Compare(a.Addr, b.Addr); c != 0 {
			return c
		}
		if (a.Size > 0) != (b.Size > 0) {
			if a.Size > 0 {
				return -1
			}
			return 1
		}
		return -strings.Compare(a.Name, b.Name)
	})
	slices.SortFunc(st.objects, func(a, b Symbol) int { return cmp.Compare(a.Addr, b.Addr) })
	out := st.syms[:0]
	for i, s := range st.syms {
		if i > 0 && s.Addr == st.syms[i-1].Addr {
			continue
		}
		out = append(out, s)
	}
	st.syms = out
	return st
}

// pltSymbols names PLT entries "sym@plt", as gdb and objdump do. Each entry
// of .plt, .plt.sec and .plt.got starts with (or holds) an indirect jump
// `jmp *disp32(%rip)` (ff 25, optionally after a bnd/notrack prefix f2/3e)
// through a GOT slot; the relocation that fills that slot (JUMP_SLOT in
// .rela.plt, GLOB_DAT in .rela.dyn) names the symbol.
func pltSymbols(f *elf.File, dyn []elf.Symbol) []Symbol {
	slot := map[uint64]string{} // GOT slot address -> symbol name
	for _, name := range []string{".rela.plt", ".rela.dyn"} {
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
			info := binary.LittleEndian.Uint64(data[i+8:])
			sym, typ := info>>32, uint32(info)
			if typ != uint32(elf.R_X86_64_JMP_SLOT) && typ != uint32(elf.R_X86_64_GLOB_DAT) {
				continue
			}
			// dyn omits the null symbol 0, so symbol k is dyn[k-1].
			if sym == 0 || sym > uint64(len(dyn)) {
				continue
			}
			slot[off] = dyn[sym-1].Name
		}
	}
	if len(slot) == 0 {
		return nil
	}
	var out []Symbol
	for _, name := range []string{".plt", ".plt.sec", ".plt.got"} {
		s := f.Section(name)
		if s == nil || s.Size > maxSectionSize {
			continue
		}
		data, err := s.Data()
		if err != nil {
			continue
		}
		entry := uint64(16)
		if name == ".plt.got" && s.Entsize == 8 {
			entry = 8
		}
		for e := uint64(0); e+entry <= uint64(len(data)); e += entry {
			for k := e; k+6 <= e+entry; k++ {
				if data[k] != 0xff || data[k+1] != 0x25 {
					continue
				}
				disp := int32(binary.LittleEndian.Uint32(data[k+2:]))
				got := s.Addr + k + 6 + uint64(int64(disp))
				if n, ok := slot[got]; ok {
					out = append(out, Symbol{Name: n + "@plt", Addr: s.Addr + e, Size: entry, Local: true})
				}
				break
			}
		}
	}
	return out
}
