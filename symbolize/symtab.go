package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"sort"
	"sync"

	"github.com/coreview/coreview/internal/diskcache"
	"github.com/coreview/coreview/internal/safefile"
)

// Symbol is a symbol: a name and the link-time range it covers.
type Symbol struct {
	Name  string // as in the ELF file (mangled)
	Addr  uint64 // link-time address
	Size  uint64 // 0 if unknown
	Local bool   // STB_LOCAL
}

// sym is a symbol as stored: its name stays in the string table (the file
// is memory-mapped) until someone asks for it, so a library with 165,000
// symbols costs one pass and no string copies.
type sym struct {
	addr, size uint64
	name       uint32 // offset in strtabs[tab]
	tab        uint8
	flags      symFlags
}

// symFlags say where a sym came from; the bits are those a cache entry
// stores.
type symFlags uint8

const (
	symLocal symFlags = 1 << iota // STB_LOCAL
	symPLT                        // a synthesized name@plt entry
	symDebug                      // from the separate debug file's .symtab
	symDyn                        // from .dynsym
)

// maxTLSSymbols caps the thread-local symbols kept (a Rust binary has a
// few dozen).
const maxTLSSymbols = 1 << 16

// symtab is a module's function symbols sorted by address, and its data
// objects (STT_OBJECT) sorted the same way.
type symtab struct {
	strtabs [][]byte
	funcs   []sym
	// encFuncs holds the functions as a cache entry stores them (symSize
	// bytes each, sorted by address, every name checked) when they came
	// from the cache: Lookup searches them in place, and allFuncs decodes
	// them once for the rest. librustc_driver's decoded were 4 MB of
	// fresh memory an analysis, for a few dozen lookups.
	encFuncs   []byte
	decodeOnce sync.Once
	// bestOf is, by the index of the first alias at an address, the
	// index of the one best chose.
	bestMu  sync.Mutex
	bestOf  map[int]int
	objects []sym
	tls     []sym // STT_TLS: value is the offset in the module's TLS block
	// ownSymtab says the module's own file has a .symtab; without one,
	// a debug file's takes its place (and one fetched later is worth a
	// re-read).
	ownSymtab bool

	// err says why symbols were dropped: the first whose name lies
	// outside its string table, and how many did.
	err error
}

// compareNames orders the names of a and b as bytes.Compare orders
// nameBytes, in one pass that stops at the first difference: aliases at one
// address are mostly one name twice (in .symtab and .dynsym), and Rust
// names are long (identical-code-folded Rust functions share a 100-byte
// prefix), so the names are compared eight bytes at a time while eight are
// left in both tables.
func (st *symtab) compareNames(a, b sym) int {
	x, y := st.rawName(a), st.rawName(b)
	i := 0
	for ; i+8 <= len(x) && i+8 <= len(y); i += 8 {
		u, v := binary.LittleEndian.Uint64(x[i:]), binary.LittleEndian.Uint64(y[i:])
		// A word with a NUL in it (the end of a name), or a difference,
		// is finished a byte at a time.
		if u != v || (u-0x0101010101010101)&^u&0x8080808080808080 != 0 {
			break
		}
	}
	for ; ; i++ {
		var cx, cy byte
		if i < len(x) {
			cx = x[i]
		}
		if i < len(y) {
			cy = y[i]
		}
		switch {
		case cx != cy:
			if cx < cy {
				return -1
			}
			return 1
		case cx == 0:
			return 0
		}
	}
}

// aliasRank orders aliases at one address by the rules that need no name:
// the module's own file over its debug file, sized over zero-sized, and,
// in a file with its own .symtab, .symtab over .dynsym.
func (st *symtab) aliasRank(s sym) int {
	r := 0
	if s.flags&symDebug == 0 {
		r |= 4
	}
	if s.size > 0 {
		r |= 2
	}
	if !st.ownSymtab || s.flags&(symDyn|symPLT) != symDyn {
		r |= 1
	}
	return r
}

// keepAliases keeps, of each address of funcs (sorted by address), the
// aliases of the highest aliasRank, in their order.
func (st *symtab) keepAliases(funcs []sym) []sym {
	out := funcs[:0]
	group := 0 // where the aliases at out's last address start
	for _, s := range funcs {
		if n := len(out); n > group && out[group].addr == s.addr {
			switch a, b := st.aliasRank(s), st.aliasRank(out[group]); {
			case a > b:
				out = append(out[:group], s)
			case a == b:
				out = append(out, s)
			}
			continue
		}
		group = len(out)
		out = append(out, s)
	}
	return out
}

// best returns the alias gdb prints among the functions at function i's
// address (they tie on aliasRank; the name gdb's sort puts last wins, the
// first of equal names), and the index of the first of them. A choice is
// made once per address: a crafted table may hold a million aliases at
// one.
func (st *symtab) best(i int) (sym, int) {
	s := st.funcAt(i)
	if (i == 0 || st.funcAddr(i-1) != s.addr) && (i+1 >= st.nfuncs() || st.funcAddr(i+1) != s.addr) {
		return s, i
	}
	j := i
	for j > 0 && st.funcAddr(j-1) == s.addr {
		j--
	}
	st.bestMu.Lock()
	defer st.bestMu.Unlock()
	if k, ok := st.bestOf[j]; ok {
		return st.funcAt(k), j
	}
	k := j
	s = st.funcAt(j)
	for n := j + 1; n < st.nfuncs() && st.funcAddr(n) == s.addr; n++ {
		if o := st.funcAt(n); st.compareNames(o, s) > 0 {
			s, k = o, n
		}
	}
	if st.bestOf == nil {
		st.bestOf = map[int]int{}
	}
	st.bestOf[j] = k
	return s, j
}

// rawName is the string table from s's name on, NUL and all.
func (st *symtab) rawName(s sym) []byte {
	if int(s.tab) >= len(st.strtabs) {
		return nil
	}
	t := st.strtabs[s.tab]
	if uint64(s.name) >= uint64(len(t)) {
		return nil
	}
	return t[s.name:]
}

func (st *symtab) nameBytes(s sym) []byte {
	b := st.rawName(s)
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return b
}

func (st *symtab) symbol(s sym) Symbol {
	name := string(st.nameBytes(s))
	if s.flags&symPLT != 0 {
		name += "@plt"
	}
	return Symbol{Name: name, Addr: s.addr, Size: s.size, Local: s.flags&symLocal != 0}
}

// Lookup returns the function symbol covering the link-time address
// fileAddr, choosing as gdb's minimal-symbol lookup does
// (lookup_minimal_symbol_by_pc_section): the nearest symbol at or below the
// address that has a size and covers it, or one below that whose larger size
// still covers it (a nested symbol); failing that, the nearest zero-sized
// symbol (a label of unknown extent) in the same section as the address,
// as gdb requires the msymbol's section to be the PC's: PLT0 at .plt's
// start is not "_init+0x28" just because .init's _init is the nearest
// label below it. A sized symbol that ends at or before the address does
// not cover it.
func (m *Module) Lookup(fileAddr uint64) (Symbol, bool) {
	st := m.symtab()
	s, ok := m.lookupFunc(st, fileAddr)
	if !ok {
		return Symbol{}, false
	}
	return st.symbol(s), true
}

// LookupStart returns the link-time start of the symbol Lookup returns,
// without copying its name out of the string table: the unwinder asks
// for function starts per frame.
func (m *Module) LookupStart(fileAddr uint64) (uint64, bool) {
	s, ok := m.lookupFunc(m.symtab(), fileAddr)
	return s.addr, ok
}

// lookupFunc is Lookup's choice, before the name is read. Aliases at one
// address share their rank (aliasRank), so one of them being zero-sized
// means all are.
func (m *Module) lookupFunc(st *symtab, fileAddr uint64) (sym, bool) {
	i := sort.Search(st.nfuncs(), func(i int) bool { return st.funcAddr(i) > fileAddr }) - 1
	zero := -1
	for ; i >= 0 && st.funcAt(i).size == 0; i-- {
		if zero < 0 {
			zero = i
		}
	}
	covers := func(s sym) bool { return fileAddr-s.addr < s.size }
	if i >= 0 {
		s, first := st.best(i)
		if covers(s) {
			return s, true
		}
		if first > 0 {
			if below, _ := st.best(first - 1); covers(below) {
				return below, true
			}
		}
	}
	if zero >= 0 && m.sameSection(fileAddr, st.funcAddr(zero)) {
		s, _ := st.best(zero)
		return s, true
	}
	return sym{}, false
}

// sameSection reports whether the link-time address label (at or below
// fileAddr) lies in the allocated section that holds fileAddr. A file
// without section headers cannot tell, and says yes.
func (m *Module) sameSection(fileAddr, label uint64) bool {
	if m.elf == nil {
		return true
	}
	any := false
	for _, s := range m.elf.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Size == 0 {
			continue
		}
		any = true
		if fileAddr >= s.Addr && fileAddr-s.Addr < s.Size {
			return label >= s.Addr
		}
	}
	return !any
}

// LookupObject returns the data object (STT_OBJECT) whose range holds the
// link-time address fileAddr: a vtable, a table, a global.
func (m *Module) LookupObject(fileAddr uint64) (Symbol, bool) {
	st := m.symtab()
	objs := st.objects
	i := sort.Search(len(objs), func(i int) bool { return objs[i].addr > fileAddr }) - 1
	for ; i >= 0; i-- {
		o := objs[i]
		if fileAddr-o.addr < max(o.size, 1) {
			return st.symbol(o), true
		}
		if o.size > 0 || fileAddr-o.addr > 1<<16 {
			break
		}
	}
	return Symbol{}, false
}

// LookupObjectName returns the data object with the given name.
func (m *Module) LookupObjectName(name string) (Symbol, bool) {
	st := m.symtab()
	for _, s := range st.objects {
		if string(st.nameBytes(s)) == name {
			return st.symbol(s), true
		}
	}
	return Symbol{}, false
}

// LookupName returns the first function symbol with the given (mangled)
// name.
func (m *Module) LookupName(name string) (Symbol, bool) {
	st := m.symtab()
	for _, s := range st.allFuncs() {
		if s.flags&symPLT == 0 && string(st.nameBytes(s)) == name {
			return st.symbol(s), true
		}
	}
	return Symbol{}, false
}

// SymtabError says why some of the module's symbols were dropped (a name
// outside the string table), wrapping a *FormatError for the first, or
// returns nil. It reads the symbol tables if no lookup has.
func (m *Module) SymtabError() error { return m.symtab().err }

// Symbols returns the module's function symbols sorted by address.
func (m *Module) Symbols() []Symbol {
	st := m.symtab()
	funcs := st.allFuncs()
	out := make([]Symbol, len(funcs))
	for i, s := range funcs {
		out[i] = st.symbol(s)
	}
	return out
}

func (m *Module) symtab() *symtab {
	m.symOnce.Do(func() {
		// The tables are read from the mapped file: a file that shrinks
		// underneath leaves the module without symbols, not the process
		// dead of SIGBUS.
		if err := safefile.Guard(func() error { m.syms = m.readSymtab(); return nil }); err != nil {
			m.syms, m.changed = &symtab{}, err
		}
	})
	return m.syms
}

// maxSymbols caps the symbols read from one module.
const maxSymbols = 1 << 24

// elfSymSize is sizeof(Elf64_Sym): st_name u32, st_info u8, st_other u8,
// st_shndx u16, st_value u64, st_size u64.
const elfSymSize = 24

// readSymtab collects function symbols and data objects from .symtab and
// .dynsym, plus name@plt entries synthesized from the PLT sections. The
// entries' pages leave the resident set once all are read (releasing them
// as the reading went cost a madvise, and the other CPU a TLB flush,
// every 512 KiB, for no lower peak: the sort's buffer comes after).
func (m *Module) readSymtab() *symtab {
	st := &symtab{}
	f := m.elf
	if f == nil {
		return st
	}
	// has reports whether a symbol's section (by index, in the file the
	// symbol table came from) is real and has the flag.
	has := func(f *elf.File, idx uint16, flag elf.SectionFlag) bool {
		if idx == uint16(elf.SHN_UNDEF) || idx >= uint16(elf.SHN_LORESERVE) || int(idx) >= len(f.Sections) {
			return false
		}
		return f.Sections[idx].Flags&flag != 0
	}
	var dynsym []byte
	var dynTab uint8
	// Size the function list once, from the bytes the tables really have
	// (a section header may claim any size).
	type table struct {
		f            *elf.File
		mm           *safefile.Mapped // the file's mapping, if data is from it
		sec          *elf.Section
		data, strtab []byte
		debug        bool
	}
	var tables []table
	total := 0
	hasSymtab := false
	add := func(f *elf.File, mm *safefile.Mapped, bytesOf func(*elf.Section) []byte, typ elf.SectionType, debug bool) {
		for _, sec := range f.Sections {
			if sec.Type != typ || int(sec.Link) >= len(f.Sections) {
				continue
			}
			data, strtab := bytesOf(sec), bytesOf(f.Sections[sec.Link])
			if data == nil || strtab == nil {
				continue
			}
			tables = append(tables, table{f, mm, sec, data, strtab, debug})
			total += len(data) / elfSymSize
			hasSymtab = hasSymtab || typ == elf.SHT_SYMTAB
		}
	}
	add(f, m.mmap, m.sectionBytes, elf.SHT_SYMTAB, false)
	add(f, m.mmap, m.sectionBytes, elf.SHT_DYNSYM, false)
	// A stripped file keeps only .dynsym; its separate debug file has the
	// full .symtab (local functions such as glibc's start_thread), as gdb
	// reads it.
	st.ownSymtab = hasSymtab
	// The persistent cache's key: every file the tables come from.
	var cache *diskcache.Cache
	key := ""
	if m.finder != nil && m.finder.cache != nil {
		cache = m.finder.cache
		key = fileIdentity(m.file, m.File)
	}
	if d := m.debugFile(); !hasSymtab && d != nil {
		add(d.elf, d.mmap, d.sectionBytes, elf.SHT_SYMTAB, true)
		if key != "" {
			if id := fileIdentity(d.file, d.path); id != "" {
				key = diskcache.Key(key, id)
			} else {
				key = ""
			}
		}
	}
	if key != "" {
		key = diskcache.Key(symtabCacheVersion, key)
		var strtabs [][]byte
		for _, tb := range tables[:min(len(tables), 255)] {
			strtabs = append(strtabs, tb.strtab)
		}
		if c, ok := cachedSymtab(cache, key, strtabs, st.ownSymtab); ok {
			return c
		}
		defer func() {
			// Written beside the rest of the analysis (librustc_driver's
			// index is 3.6 MB); the table's Close waits for it.
			m.finder.saves.Add(1)
			go func() {
				defer m.finder.saves.Done()
				saveSymtab(cache, key, st)
			}()
		}()
	}
	st.funcs = make([]sym, 0, min(total, maxSymbols))
	var firstBad *FormatError
	dropped := 0
	for _, tb := range tables {
		sec, data, strtab := tb.sec, tb.data, tb.strtab
		if len(st.strtabs) >= 255 {
			break
		}
		tab := uint8(len(st.strtabs))
		var tabFlags symFlags
		if tb.debug {
			tabFlags |= symDebug
		}
		if sec.Type == elf.SHT_DYNSYM {
			tabFlags |= symDyn
		}
		st.strtabs = append(st.strtabs, strtab)
		if sec.Type == elf.SHT_DYNSYM {
			dynsym, dynTab = data, tab
		}
		// Entry 0 is the null symbol.
		for off := elfSymSize; off+elfSymSize <= len(data) && len(st.funcs) < maxSymbols; off += elfSymSize {
			e := data[off : off+elfSymSize]
			name := binary.LittleEndian.Uint32(e[0:])
			info := e[4]
			shndx := binary.LittleEndian.Uint16(e[6:])
			value := binary.LittleEndian.Uint64(e[8:])
			size := binary.LittleEndian.Uint64(e[16:])
			if name == 0 {
				continue
			}
			if uint64(name) >= uint64(len(strtab)) {
				dropped++
				if firstBad == nil {
					firstBad = &FormatError{Section: sec.Name, Off: sec.Offset + uint64(off),
						Msg: fmt.Sprintf("symbol name offset is past the end of the %d-byte string table", len(strtab)), Val: name}
				}
				continue
			}
			var from symFlags
			if elf.ST_BIND(info) == elf.STB_LOCAL {
				from = symLocal
			}
			switch typ := elf.ST_TYPE(info); typ {
			case elf.STT_TLS:
				if len(st.tls) < maxTLSSymbols {
					st.tls = append(st.tls, sym{addr: value, size: size, name: name, tab: tab, flags: from})
				}
			case elf.STT_OBJECT:
				// Only objects the program loads: glibc's .symtab also
				// has link warnings (__evoke_link_warning_*) in
				// unloaded sections at address 0.
				if has(tb.f, shndx, elf.SHF_ALLOC) {
					st.objects = append(st.objects, sym{addr: value, size: size, name: name, tab: tab, flags: from})
				}
			case elf.STT_FUNC, elf.STT_GNU_IFUNC, elf.STT_NOTYPE:
				if value == 0 && size == 0 || !has(tb.f, shndx, elf.SHF_EXECINSTR) {
					continue
				}
				if typ == elf.STT_NOTYPE && (strtab[name] == '$' || strtab[name] == '.') {
					continue
				}
				st.funcs = append(st.funcs, sym{addr: value, size: size, name: name, tab: tab, flags: from | tabFlags})
			}
		}
	}
	if dynsym != nil {
		st.funcs = append(st.funcs, m.pltSymbols(dynsym, dynTab)...)
	}
	// The entries are read; their pages (4 MB in librustc_driver) leave
	// the resident set. The string tables stay: names are read from them.
	for _, tb := range tables {
		if tb.mm != nil && tb.sec.Flags&elf.SHF_COMPRESSED == 0 {
			tb.mm.Release(tb.sec.Offset, tb.sec.FileSize)
		}
	}
	if firstBad != nil {
		st.err = fmt.Errorf("%d symbols dropped, their names outside the string table; the first: %w", dropped, firstBad)
	}
	// Sort by address. Of aliases at one address, gdb prints one: a
	// sized symbol over a zero-sized one, then the name gdb's sort puts
	// last (minimal_symbol_is_less_than orders by address, then name, and
	// the lookup takes the last: "raise" over "gsignal").
	radixSortByAddr(st.funcs)
	// A name from the module's own file beats the debug file's at the
	// same address: gdb looks in the objfile first and takes a separate
	// debug objfile's symbol only when it is strictly closer
	// (lookup_minimal_symbol_by_pc_section), so a stripped libc frame
	// reads __libc_start_main, not the .symtab alias __libc_start_main_impl.
	//
	// A .dynsym entry at an address the file's own .symtab also names
	// loses to the .symtab one without comparing names: an unstripped
	// file's .symtab holds every dynamic symbol, under the same name or a
	// versioned one ("memcpy@@GLIBC_2.14") that sorts after it, so the
	// name gdb keeps is among the .symtab's.
	//
	// Those rules need no names, and keep, of each address, the aliases
	// that tie on them. The names decide later, for the addresses a
	// lookup lands on (symtab.best): librustc_driver has 4,000 addresses
	// with identical-code-folded aliases, whose long names lie all over
	// 19 MB of string table, and comparing them all was a third of
	// reading its symbols.
	st.funcs = st.keepAliases(st.funcs)
	radixSortByAddr(st.objects)
	// Choosing among aliases read names all over the string tables (19 MB
	// of librustc_driver's): they leave the resident set too. The few
	// names the frames print fault back in from the page cache.
	for _, tb := range tables {
		if tb.mm != nil && tb.f.Sections[tb.sec.Link].Flags&elf.SHF_COMPRESSED == 0 {
			link := tb.f.Sections[tb.sec.Link]
			tb.mm.Release(link.Offset, link.FileSize)
		}
	}
	return st
}

// sectionBytes returns a section's contents, from the mapped file when
// possible.
func (m *Module) sectionBytes(s *elf.Section) []byte {
	return sectionData(m.mmap, s)
}

// pltSymbols names PLT entries "sym@plt", as gdb and objdump do. Each entry
// of .plt, .plt.sec and .plt.got starts with (or holds) an indirect jump
// `jmp *disp32(%rip)` (ff 25, optionally after a bnd/notrack prefix f2/3e)
// through a GOT slot; the relocation that fills that slot (JUMP_SLOT in
// .rela.plt, GLOB_DAT in .rela.dyn) names the symbol.
func (m *Module) pltSymbols(dynsym []byte, tab uint8) []sym {
	f := m.elf
	slot := map[uint64]uint32{} // GOT slot address -> name offset
	for _, name := range []string{".rela.plt", ".rela.dyn"} {
		s := f.Section(name)
		if s == nil {
			continue
		}
		// GLOB_DAT slots are those of .plt.got entries; without any,
		// .rela.dyn (mostly R_X86_64_RELATIVE: 2.8 MB in
		// librustc_driver) is not read.
		if name == ".rela.dyn" && f.Section(".plt.got") == nil {
			continue
		}
		data := m.sectionBytes(s)
		for i := 0; i+24 <= len(data); i += 24 {
			off := binary.LittleEndian.Uint64(data[i:])
			info := binary.LittleEndian.Uint64(data[i+8:])
			k, typ := info>>32, uint32(info)
			if typ != uint32(elf.R_X86_64_JMP_SLOT) && typ != uint32(elf.R_X86_64_GLOB_DAT) {
				continue
			}
			if k == 0 || k >= uint64(len(dynsym)/elfSymSize) {
				continue
			}
			slot[off] = binary.LittleEndian.Uint32(dynsym[k*elfSymSize:])
		}
	}
	if len(slot) == 0 {
		return nil
	}
	var out []sym
	for _, name := range []string{".plt", ".plt.sec", ".plt.got"} {
		s := f.Section(name)
		if s == nil {
			continue
		}
		data := m.sectionBytes(s)
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
					out = append(out, sym{addr: s.Addr + e, size: entry, name: n, tab: tab, flags: symLocal | symPLT})
				}
				break
			}
		}
	}
	return out
}
