package symbolize

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/coreview/coreview/internal/safefile"
)

// This file reads the call sites compilers describe in DWARF (DWARF 5
// 3.4.1 "Call Site Entries": DW_TAG_call_site; GCC's DWARF 4 extension
// DW_TAG_GNU_call_site), which is what a debugger needs to rebuild the
// frames of functions that left the stack by a tail call: gdb's
// call_site_find_chain (gdb/dwarf2/loc.c) walks from a caller's call site
// through the tail calls of the functions it may reach.

// DWARF 4 GNU extensions for call sites (GCC's dwarf2.def).
const (
	tagGNUCallSite           dwarf.Tag  = 0x4109
	attrGNUCallSiteTarget    dwarf.Attr = 0x2113
	attrGNUTailCall          dwarf.Attr = 0x2115
	attrGNUAllTailCallSites  dwarf.Attr = 0x2116
	attrGNUAllCallSites      dwarf.Attr = 0x2117
	attrMIPSLinkageName      dwarf.Attr = 0x2007
	maxCallSitesPerUnit                 = 1 << 20
	maxCallSiteUnitsInMemory            = 256
)

// CallTargetKind says what a call site records about where it goes.
type CallTargetKind uint8

// Call target kinds.
const (
	// CallTargetUnknown: the target is a location expression
	// (DW_AT_call_target, an indirect call: it needs the registers at the
	// call), or the site names none, or the function it names has no
	// address. gdb gives up on a chain that meets one.
	CallTargetUnknown CallTargetKind = iota
	// CallTargetAddr: DW_AT_call_origin names a function defined here,
	// at TargetAddr (link-time, in this module).
	CallTargetAddr
	// CallTargetName: DW_AT_call_origin names a declaration: the target
	// is the symbol TargetName, in whichever module defines it.
	CallTargetName
)

// CallSite is one DW_TAG_call_site (or DW_TAG_GNU_call_site).
type CallSite struct {
	// ReturnPC is the link-time address just after the call (or jump)
	// instruction: DW_AT_call_return_pc, DW_AT_low_pc in the GNU form.
	ReturnPC uint64
	// Tail marks a tail call (DW_AT_call_tail_call, DW_AT_GNU_tail_call):
	// a jump that leaves the function's frame to the callee.
	Tail       bool
	Kind       CallTargetKind
	TargetAddr uint64
	TargetName string
}

// funcCalls is what a unit says about one function's calls.
type funcCalls struct {
	// complete is set when the function carries DW_AT_call_all_calls (or
	// all_tail_calls, or their GNU forms): its tail calls are all listed.
	complete bool
	tails    []CallSite
}

// callSiteUnit is the call sites of one compilation unit.
type callSiteUnit struct {
	sites map[uint64]CallSite  // by ReturnPC
	funcs map[uint64]funcCalls // by entry (low_pc)
}

// callSiteCache holds the units read so far, each read once: PrepareSource
// reads them on its workers while another unit is read elsewhere.
type callSiteCache struct {
	mu    sync.Mutex
	units map[dwarf.Offset]*callSiteSlot
}

type callSiteSlot struct {
	once sync.Once
	u    *callSiteUnit
	err  error
}

// CallSiteAt returns the call site whose return address is the link-time
// returnAddr, if the module's DWARF describes one.
func (m *Module) CallSiteAt(returnAddr uint64) (CallSite, bool, error) {
	if returnAddr == 0 {
		return CallSite{}, false, nil
	}
	// The call instruction ends at returnAddr: its unit holds returnAddr-1
	// (returnAddr itself may be past a noreturn call at a function's end).
	u, err := m.callSiteUnit(returnAddr - 1)
	if u == nil || err != nil {
		return CallSite{}, false, err
	}
	cs, ok := u.sites[returnAddr]
	return cs, ok, nil
}

// TailCalls returns the tail calls of the function whose entry is the
// link-time address entry. found is false when the module's DWARF has no
// function starting exactly there (gdb's func_addr_to_tail_call_list then
// gives up on the whole chain). A function that does not say its calls are
// all listed (DW_AT_call_all_calls and kin) has none, as gdb reads it: an
// incomplete list cannot prove a chain unambiguous.
func (m *Module) TailCalls(entry uint64) (tails []CallSite, found bool, err error) {
	u, err := m.callSiteUnit(entry)
	if u == nil || err != nil {
		return nil, false, err
	}
	fc, ok := u.funcs[entry]
	if !ok {
		return nil, false, nil
	}
	if !fc.complete {
		return nil, true, nil
	}
	return fc.tails, true, nil
}

// callSiteUnit returns the call sites of the unit holding fileAddr, reading
// them on first use; nil when the module has no DWARF there.
func (m *Module) callSiteUnit(fileAddr uint64) (*callSiteUnit, error) {
	ix := m.dwarfIndex()
	if ix == nil {
		return nil, nil
	}
	off, ok := ix.unitFor(fileAddr)
	if !ok {
		return nil, nil
	}
	c := &m.callSites
	c.mu.Lock()
	slot, ok := c.units[off]
	if !ok {
		if c.units == nil || len(c.units) >= maxCallSiteUnitsInMemory {
			c.units = map[dwarf.Offset]*callSiteSlot{}
		}
		slot = &callSiteSlot{}
		c.units[off] = slot
	}
	c.mu.Unlock()
	slot.once.Do(func() {
		u, err := ix.readCallSites(off)
		if err != nil {
			err = fmt.Errorf("symbolize: call sites of the unit at %#x in %s: %w", off, ix.path, err)
			u = nil
		}
		slot.u, slot.err = u, err
	})
	return slot.u, slot.err
}

// prefetchCallSites reads the call sites of the unit holding fileAddr on
// a worker of PrepareSource; readCallSites turns a fault in a mapped file
// that shrank into the unit's error.
func (m *Module) prefetchCallSites(fileAddr uint64) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	m.callSiteUnit(fileAddr)
}

// readCallSites walks the unit at off: each subprogram with an address,
// whether it lists all its calls, and every call site inside it (nested in
// lexical blocks and inlined subroutines too: they are the subprogram's
// calls, as gdb files them).
func (ix *dwarfIndex) readCallSites(off dwarf.Offset) (u *callSiteUnit, err error) {
	defer func() {
		if r := recover(); r != nil {
			u, err = nil, fmt.Errorf("malformed DWARF: %v", r)
		}
	}()
	u = &callSiteUnit{sites: map[uint64]CallSite{}, funcs: map[uint64]funcCalls{}}
	// A lazily read file reads the unit first (dwarflazy.go).
	d, off, err := ix.dataFor(off)
	if err != nil {
		return nil, err
	}
	r := readerAt(d, off)
	cu, err := r.Next()
	if err != nil || cu == nil {
		return u, err
	}
	if !cu.Children {
		return u, nil
	}
	// The entry of the subprogram enclosing each open DIE; 0 outside one.
	stack := []uint64{0}
	for n := 0; len(stack) > 0; n++ {
		if n > ix.maxEntries || len(u.sites) > maxCallSitesPerUnit {
			return nil, errNoProgress
		}
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return u, nil
		}
		if e.Tag == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		cur := stack[len(stack)-1]
		switch e.Tag {
		case dwarf.TagSubprogram:
			if lo, ok := entryPC(d, e); ok {
				cur = lo
				fc := u.funcs[lo]
				fc.complete = flag(e, dwarf.AttrCallAllCalls) || flag(e, dwarf.AttrCallAllTailCalls) ||
					flag(e, attrGNUAllCallSites) || flag(e, attrGNUAllTailCallSites)
				u.funcs[lo] = fc
			} else {
				cur = 0 // a declaration, an abstract instance: no calls of its own
			}
		case dwarf.TagCallSite, tagGNUCallSite:
			if cs, ok := callSite(d, e); ok {
				u.sites[cs.ReturnPC] = cs
				if cs.Tail && cur != 0 {
					fc := u.funcs[cur]
					fc.tails = append(fc.tails, cs)
					u.funcs[cur] = fc
				}
			}
			// Its children are the call's parameters.
			if e.Children {
				r.SkipChildren()
			}
			continue
		case dwarf.TagInlinedSubroutine, dwarf.TagLexDwarfBlock, dwarf.TagTryDwarfBlock, dwarf.TagCatchDwarfBlock,
			dwarf.TagNamespace, dwarf.TagModule:
		case dwarf.TagStructType, dwarf.TagClassType, dwarf.TagUnionType:
			// A class local to a function with code has its member
			// functions' code inside it: gcc puts them, and their call
			// sites, under the class's DIE there (gdb's
			// process_structure_scope reads them). Elsewhere (a unit's
			// or a namespace's types, a template's or inline
			// function's local classes) gcc defines them outside the
			// class, and its members are only declarations.
			if cur == 0 {
				if e.Children {
					r.SkipChildren()
				}
				continue
			}
		default:
			// Types, variables, parameters, labels: no call sites inside,
			// as gdb's read_func_scope finds them only in the scopes
			// above. Their subtrees are most of a unit's DIEs (a C
			// unit's types; every call's parameters).
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		if e.Children {
			stack = append(stack, cur)
		}
	}
	return u, nil
}

// callSite decodes a call site DIE.
func callSite(d *dwarf.Data, e *dwarf.Entry) (CallSite, bool) {
	var cs CallSite
	if e.Tag == tagGNUCallSite {
		pc, ok := e.Val(dwarf.AttrLowpc).(uint64)
		if !ok {
			return cs, false
		}
		cs.ReturnPC, cs.Tail = pc, flag(e, attrGNUTailCall)
	} else {
		pc, ok := e.Val(dwarf.AttrCallReturnPC).(uint64)
		if !ok {
			return cs, false
		}
		cs.ReturnPC, cs.Tail = pc, flag(e, dwarf.AttrCallTailCall)
	}
	if e.Val(dwarf.AttrCallTarget) != nil || e.Val(attrGNUCallSiteTarget) != nil {
		return cs, true // indirect: CallTargetUnknown
	}
	ref, ok := e.Val(dwarf.AttrCallOrigin).(dwarf.Offset)
	if !ok {
		ref, ok = e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
	}
	if !ok {
		return cs, true
	}
	resolveOrigin(d, &cs, ref)
	return cs, true
}

// resolveOrigin reads the function a call site's DW_AT_call_origin names:
// a definition gives its address, a declaration its name (the linkage name
// when there is one, as gdb's dwarf2_physname). An abstract instance
// (DW_AT_inline, no address) stays unknown, as gdb leaves it.
func resolveOrigin(d *dwarf.Data, cs *CallSite, ref dwarf.Offset) {
	r := readerAt(d, ref)
	t, err := r.Next()
	if err != nil || t == nil {
		return
	}
	if lo, ok := entryPC(d, t); ok {
		cs.Kind, cs.TargetAddr = CallTargetAddr, lo
		return
	}
	if !flag(t, dwarf.AttrDeclaration) {
		return
	}
	for _, a := range []dwarf.Attr{dwarf.AttrLinkageName, attrMIPSLinkageName, dwarf.AttrName} {
		if name, ok := t.Val(a).(string); ok && name != "" {
			cs.Kind, cs.TargetName = CallTargetName, name
			return
		}
	}
}

// entryPC is where a subprogram is entered: DW_AT_low_pc or, for a
// function in several pieces (DW_AT_ranges: a hot part and a .cold one),
// DW_AT_entry_pc or else the start of its first range, as gdb's
// block::entry_pc takes it.
func entryPC(d *dwarf.Data, e *dwarf.Entry) (uint64, bool) {
	if lo, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
		return lo, lo != 0
	}
	if e.Val(dwarf.AttrRanges) == nil {
		return 0, false
	}
	if pc, ok := e.Val(dwarf.AttrEntrypc).(uint64); ok && pc != 0 {
		return pc, true
	}
	rs, err := d.Ranges(e)
	if err != nil || len(rs) == 0 || rs[0][0] == 0 {
		return 0, false
	}
	return rs[0][0], true
}

func flag(e *dwarf.Entry, a dwarf.Attr) bool {
	v, ok := e.Val(a).(bool)
	return ok && v
}

// funcNameIndex remembers FuncAddr's answers for one module: a call
// site's declared target is asked for once per name, not per frame.
type funcNameIndex struct {
	mu    sync.Mutex
	names map[string]funcName
}

type funcName struct {
	addr      uint64
	global    bool
	found     bool
	unchecked bool // the tables could not be read
}

// maxFuncNameCache bounds the names remembered for one module.
const maxFuncNameCache = 1 << 12

// FuncAddr returns the link-time address of the function symbol name and
// whether the symbol is global, as gdb's lookup_minimal_symbol finds a call
// site's declared target: every alias counts (glibc's __pthread_kill is a
// local alias of pthread_kill), a global definition before a local one;
// the tables in the order the module's own .symtab, its .dynsym, then its
// debug file's. The raw tables are scanned for the name's bytes, in place:
// building a map of every name (librustc_driver and libLLVM have hundreds
// of thousands) cost 250 MB and half a second on a rustc core, for the
// handful of names a tail-call chain asks about.
func (m *Module) FuncAddr(name string) (addr uint64, global, ok bool) {
	ix := &m.funcNames
	ix.mu.Lock()
	fn, seen := ix.names[name]
	ix.mu.Unlock()
	if !seen {
		fn = m.scanFuncName(name)
		ix.mu.Lock()
		if ix.names == nil {
			ix.names = map[string]funcName{}
		}
		if len(ix.names) < maxFuncNameCache {
			ix.names[name] = fn
		}
		ix.mu.Unlock()
	}
	return fn.addr, fn.global, fn.found
}

// scanFuncName looks for name among the function symbols of m's tables.
func (m *Module) scanFuncName(name string) funcName {
	var fn funcName
	if name == "" {
		return fn
	}
	type src struct {
		f    *elf.File
		data func(*elf.Section) []byte
	}
	var srcs []src
	if m.elf != nil {
		srcs = append(srcs, src{m.elf, m.sectionBytes})
	}
	if d := m.debugFile(); d != nil && d.elf != nil {
		srcs = append(srcs, src{d.elf, d.sectionBytes})
	}
	err := safefile.Guard(func() error {
		for _, sc := range srcs {
			for _, typ := range []elf.SectionType{elf.SHT_SYMTAB, elf.SHT_DYNSYM} {
				sec := sc.f.SectionByType(typ)
				if sec == nil || int(sec.Link) >= len(sc.f.Sections) {
					continue
				}
				data, strtab := sc.data(sec), sc.data(sc.f.Sections[sec.Link])
				for off := elfSymSize; off+elfSymSize <= len(data); off += elfSymSize {
					e := data[off : off+elfSymSize]
					info, shndx := e[4], binary.LittleEndian.Uint16(e[6:])
					t := elf.ST_TYPE(info)
					if t != elf.STT_FUNC && t != elf.STT_GNU_IFUNC || shndx == uint16(elf.SHN_UNDEF) {
						continue
					}
					value := binary.LittleEndian.Uint64(e[8:])
					n := uint64(binary.LittleEndian.Uint32(e[0:]))
					if value == 0 || n+uint64(len(name)) >= uint64(len(strtab)) ||
						strtab[n+uint64(len(name))] != 0 || string(strtab[n:n+uint64(len(name))]) != name {
						continue
					}
					g := elf.ST_BIND(info) != elf.STB_LOCAL
					if g {
						fn = funcName{addr: value, global: true, found: true}
						return nil
					}
					if !fn.found {
						fn = funcName{addr: value, found: true}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return funcName{unchecked: true}
	}
	return fn
}
