package symbolize

import (
	"debug/elf"
	"strings"
)

// TLSTemplate returns the module's PT_TLS segment: the link-time address
// of its initialization image, the block's size in memory and its
// alignment. ok is false for a module without thread-local storage.
func (m *Module) TLSTemplate() (vaddr, memsz, align uint64, ok bool) {
	if m.elf == nil {
		return 0, 0, 0, false
	}
	for _, p := range m.elf.Progs {
		if p.Type == elf.PT_TLS {
			return p.Vaddr, p.Memsz, max(p.Align, 1), true
		}
	}
	return 0, 0, 0, false
}

// TLSSymbol returns the first STT_TLS symbol of .symtab whose (mangled)
// name contains part; its Addr is the offset in the module's TLS block.
// ok is false when there is none or no .symtab (a stripped file).
func (m *Module) TLSSymbol(part string) (Symbol, bool) {
	if m.elf == nil {
		return Symbol{}, false
	}
	syms, err := m.elf.Symbols()
	if err != nil {
		return Symbol{}, false
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_TLS && strings.Contains(s.Name, part) {
			return Symbol{Name: s.Name, Addr: s.Value, Size: s.Size}, true
		}
	}
	return Symbol{}, false
}
