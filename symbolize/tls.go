package symbolize

import (
	"bytes"
	"debug/elf"
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

// TLSSymbol returns the STT_TLS symbol of the module's symbol tables
// (.symtab, .dynsym, a debug file's) whose (mangled) name contains part;
// its Addr is the offset in the module's TLS block. ok is false when there
// is none, or more than one at different offsets (two versions of a crate
// linked in): which one is meant cannot be told.
func (m *Module) TLSSymbol(part string) (Symbol, bool) {
	st := m.symtab()
	var found Symbol
	ok := false
	want := []byte(part)
	for _, s := range st.tls {
		if !bytes.Contains(st.nameBytes(s), want) {
			continue
		}
		if ok && s.addr != found.Addr {
			return Symbol{}, false
		}
		found, ok = st.symbol(s), true
	}
	return found, ok
}
