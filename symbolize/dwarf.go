package symbolize

import (
	"debug/dwarf"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/coreview/coreview/internal/diskcache"
	"github.com/coreview/coreview/internal/parallel"
	"github.com/coreview/coreview/internal/safefile"
)

// Location is where a frame is in the source: the function and the file,
// line and column it was executing. For an inlined call, Function is the
// inlined function and the position is inside it.
type Location struct {
	// Function is the DWARF linkage name (mangled, as in the symbol table)
	// when the DWARF has one, else its DW_AT_name (plain C functions).
	Function string
	File     string
	Line     int
	Column   int
}

// Source returns the source locations of the code at the link-time address
// fileAddr, innermost first: the functions inlined at that address, each at
// the line it was executing, then the function that holds them, at the line
// of the outermost inlined call (or its own line when nothing is inlined
// there). The last element is the physical frame's. It returns nil when the
// module has no DWARF covering fileAddr; a DWARF error makes it nil too and
// is reported once by SourceWarnings.
//
// For a caller's frame pass the return address minus one, as for Lookup:
// the call instruction's line, not the next one's.
func (m *Module) Source(fileAddr uint64) []Location {
	ix := m.dwarfIndex()
	if ix == nil {
		return nil
	}
	ix.mu.Lock()
	locs, ok := ix.cache[fileAddr]
	ix.mu.Unlock()
	if ok {
		return locs
	}
	locs, err := ix.safeSource(fileAddr)
	if err != nil {
		ix.fail(err)
		locs = nil
	}
	ix.mu.Lock()
	if len(ix.cache) < maxSourceCache {
		ix.cache[fileAddr] = locs
	}
	ix.mu.Unlock()
	return locs
}

// maxSourceCache bounds the addresses whose answers are kept (a recursion
// asks for the same few thousands of times).
const maxSourceCache = 1 << 16

// safeSource turns a panic in debug/dwarf on malformed input into an
// error.
func (ix *dwarfIndex) safeSource(fileAddr uint64) (locs []Location, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			locs, err = nil, dwarfPanic(r)
		}
	}()
	return ix.source(fileAddr)
}

// dwarfPanic is the error for a panic recovered while reading DWARF: the
// file changed underneath its mapping (a fault, which these readers ask to
// be a panic), or debug/dwarf tripped on malformed input.
func dwarfPanic(r any) error {
	if err := safefile.FaultError(r); err != nil {
		return err
	}
	return fmt.Errorf("malformed DWARF: %v", r)
}

// HasDWARF reports whether the module (or its separate debug file) has
// DWARF debugging information.
func (m *Module) HasDWARF() bool { return m.dwarfIndex() != nil }

// DWARFFile returns the file the module's DWARF is read from: its own file,
// or the separate debug file; "" when there is none.
func (m *Module) DWARFFile() string {
	if ix := m.dwarfIndex(); ix != nil {
		return ix.path
	}
	return ""
}

func (m *Module) dwarfIndex() *dwarfIndex {
	m.dwarfOnce.Do(func() {
		m.dwarfLooked = true
		ix, err := m.openDWARF()
		if err != nil {
			m.dwarfErr = err
			return
		}
		m.dwarf = ix
	})
	return m.dwarf
}

// openDWARF builds the index of the module's DWARF from its own file when it
// has .debug_info, else from its separate debug file. No DWARF is not an
// error.
func (m *Module) openDWARF() (ix *dwarfIndex, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		// debug/dwarf may panic on malformed input it does not check.
		if r := recover(); r != nil {
			ix, err = nil, dwarfPanic(r)
		}
	}()
	type src struct {
		f    *elf.File
		data func(*elf.Section) []byte
		path string
		mm   *safefile.Mapped
		fh   *os.File
	}
	var srcs []src
	if m.elf != nil {
		srcs = append(srcs, src{m.elf, m.sectionBytes, m.File, m.mmap, m.file})
	}
	if d := m.debugFile(); d != nil {
		srcs = append(srcs, src{d.elf, d.sectionBytes, d.path, d.mmap, d.file})
	}
	for _, s := range srcs {
		if !hasDWARF(s.f) {
			continue
		}
		var budget *inflateBudget
		var cache *diskcache.Cache
		if m.finder != nil {
			budget, cache = &m.finder.inflated, m.finder.cache
		}
		key := ""
		if cache != nil {
			key = dwarfCacheKey(s.fh, s.path, m.buildID())
		}
		if ix, ok, err := openLazyIndex(s.f, s.mm, s.data, s.path, budget, cache, key); ok || err != nil {
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.path, err)
			}
			return ix, nil
		}
		d, info, line, err := loadDWARF(s.f, s.data, budget)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.path, err)
		}
		ix, err := newDWARFIndex(d, s.path, len(info), line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.path, err)
		}
		return ix, nil
	}
	return nil, nil
}

func hasDWARF(f *elf.File) bool {
	for _, name := range []string{".debug_info", ".zdebug_info"} {
		if s := f.Section(name); s != nil && s.Type != elf.SHT_NOBITS && s.Size > 0 {
			return true
		}
	}
	return false
}

// dwarfSuffix is what follows ".debug_" or GNU's ".zdebug_" in a DWARF
// section's name ("info", "line"); ok is false for any other section.
func dwarfSuffix(name string) (suffix string, ok bool) {
	if s, ok := strings.CutPrefix(name, ".debug_"); ok {
		return s, true
	}
	return strings.CutPrefix(name, ".zdebug_")
}

// loadDWARF builds a dwarf.Data from f's .debug_* sections the way
// debug/elf's File.DWARF does, but takes uncompressed sections straight
// from the memory-mapped file (a Rust debug build has hundreds of MB of
// DWARF, and only a few units of it are ever read). Compressed sections
// (SHF_COMPRESSED with zlib or zstd, or GNU .zdebug) are inflated by
// debug/elf. Relocations are not applied: executables and shared objects
// have none in their DWARF.
//
// Each DWARF section is read once, the first of its name (a file may
// repeat names; debug/dwarf would use only one). What the compressed ones
// claim to inflate to is added up first and must fit the module's cap and
// what is left of the analysis's budget (nil: the module's cap alone).
func loadDWARF(f *elf.File, data func(*elf.Section) []byte, budget *inflateBudget) (d *dwarf.Data, info, line []byte, err error) {
	type part struct {
		s      *elf.Section
		suffix string
		b      []byte
	}
	var parts []*part
	seen := map[string]bool{}
	var inflated int64
	for _, s := range f.Sections {
		suffix, isDWARF := dwarfSuffix(s.Name)
		if !isDWARF {
			continue
		}
		if s.Type == elf.SHT_NOBITS || !dwarfSectionsUsed[suffix] || seen[suffix] {
			continue
		}
		seen[suffix] = true
		if inflated += inflatedSize(s); inflated > maxModuleInflate {
			return nil, nil, nil, fmt.Errorf("its compressed DWARF sections claim more than %d MiB inflated; not read", maxModuleInflate>>20)
		}
		parts = append(parts, &part{s: s, suffix: suffix})
	}
	if err := budget.reserve(inflated); err != nil {
		return nil, nil, nil, err
	}
	// Compressed sections are independent streams: inflate them at once.
	parallel.Each(len(parts), func(i int) {
		p := parts[i]
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if recover() != nil {
				p.b = nil
			}
		}()
		p.b = data(p.s)
	})
	sec := map[string][]byte{}
	for _, p := range parts {
		if p.b == nil && p.s.Size > 0 {
			return nil, nil, nil, fmt.Errorf("section %s is unreadable", p.s.Name)
		}
		sec[p.suffix] = p.b
	}
	d, err = newDWARFData(sec)
	if err != nil {
		return nil, nil, nil, err
	}
	return d, sec["info"], sec["line"], nil
}

// newDWARFData builds a dwarf.Data from DWARF sections named by their
// suffix ("info" for .debug_info), DWARF 5's included.
func newDWARFData(sec map[string][]byte) (*dwarf.Data, error) {
	d, err := dwarf.New(sec["abbrev"], nil, nil, sec["info"], sec["line"], nil, sec["ranges"], sec["str"])
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"addr", "line_str", "str_offsets", "rnglists"} {
		if b, ok := sec[name]; ok {
			if err := d.AddSection(".debug_"+name, b); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// dwarfSectionsUsed are the DWARF sections line tables, address ranges
// and the DIE tree need. The others (location lists, macros, .debug_frame,
// accelerator tables) are never inflated: libc6-dbg's compressed
// .debug_loclists alone costs more to inflate than the rest together.
var dwarfSectionsUsed = map[string]bool{
	"abbrev": true, "info": true, "str": true, "line": true, "ranges": true,
	"addr": true, "line_str": true, "str_offsets": true, "rnglists": true,
}

// dwarfIndex answers Source queries for one module. Units are indexed by
// address range once; a unit's line table and scope tree are decoded the
// first time an address in it is asked for.
type dwarfIndex struct {
	d    *dwarf.Data
	path string
	cus  []addrRange // sorted by lo
	// maxEntries bounds the DIEs one walk may read: every entry takes
	// at least a byte of .debug_info, so a walk that reads more is not
	// advancing (debug/dwarf's Reader.Next returns null entries forever
	// on some malformed units, golang/go#79586, still in Go 1.26.8;
	// FuzzDWARF found one).
	maxEntries int
	// line is .debug_line, for checkLineHeader.
	line []byte
	// lazy, when set, reads only the units asked for (dwarflazy.go); d
	// then holds those read so far.
	lazy *lazyDWARF

	mu     sync.Mutex
	units  map[dwarf.Offset]*unitSlot
	names  map[dwarf.Offset]string
	cache  map[uint64][]Location
	errMsg string
}

// addrRange maps a link-time address range to what covers it: a unit's
// offset, or a scope's index.
type addrRange struct {
	lo, hi uint64
	ref    uint64
}

// findRange returns the ref of the range in rs (sorted by lo) that holds
// addr. Ranges may overlap (an LTO partition inside another unit's range
// list; a function's cold part between others), so it looks back over a
// few that start below addr.
func findRange(rs []addrRange, addr uint64) (uint64, bool) {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].lo > addr }) - 1
	for k := i; k >= 0 && k > i-64; k-- {
		if addr < rs[k].hi {
			return rs[k].ref, true
		}
	}
	return 0, false
}

func (ix *dwarfIndex) fail(err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.errMsg == "" {
		ix.errMsg = err.Error()
	}
}

// newDWARFIndex indexes the compilation units of d, whose .debug_info is
// infoSize bytes and .debug_line line, by address.
func newDWARFIndex(d *dwarf.Data, path string, infoSize int, line []byte) (*dwarfIndex, error) {
	ix := &dwarfIndex{d: d, path: path, maxEntries: infoSize + 1, line: line, units: map[dwarf.Offset]*unitSlot{}, names: map[dwarf.Offset]string{}, cache: map[uint64][]Location{}}
	if err := ix.indexUnits(); err != nil {
		return nil, err
	}
	return ix, nil
}

// errNoProgress is the error of a DIE walk that stopped advancing.
var errNoProgress = errors.New("malformed .debug_info: the DIE reader is not advancing")

// maxUnitRanges caps the address ranges indexed for one module.
const maxUnitRanges = 1 << 22

// indexUnits reads each compilation unit's top DIE and its address ranges.
// Ranges at address 0 are functions the linker discarded (their DWARF is
// kept with a zero address) and are left out.
func (ix *dwarfIndex) indexUnits() error {
	r := ix.d.Reader()
	for n := 0; ; n++ {
		if n > ix.maxEntries {
			return errNoProgress
		}
		e, err := r.Next()
		if err != nil {
			return err
		}
		if e == nil {
			break
		}
		if e.Tag == dwarf.TagCompileUnit || e.Tag == dwarf.TagPartialUnit {
			rs, err := ix.d.Ranges(e)
			if err == nil {
				for _, rg := range rs {
					if rg[0] != 0 && rg[1] > rg[0] && len(ix.cus) < maxUnitRanges {
						ix.cus = append(ix.cus, addrRange{rg[0], rg[1], uint64(e.Offset)})
					}
				}
			}
		}
		r.SkipChildren()
	}
	sort.Slice(ix.cus, func(i, j int) bool { return ix.cus[i].lo < ix.cus[j].lo })
	return nil
}

// unitFor returns the offset of the unit whose ranges hold fileAddr.
func (ix *dwarfIndex) unitFor(fileAddr uint64) (dwarf.Offset, bool) {
	off, ok := findRange(ix.cus, fileAddr)
	return dwarf.Offset(off), ok
}

func (ix *dwarfIndex) source(fileAddr uint64) ([]Location, error) {
	off, ok := ix.unitFor(fileAddr)
	if !ok {
		return nil, nil
	}
	u, err := ix.unit(off)
	if err != nil {
		return nil, err
	}
	chain := u.scopesAt(fileAddr)
	file, line, col, ok := u.lineAt(fileAddr)
	if len(chain) == 0 && !ok {
		return nil, nil
	}
	locs := make([]Location, 0, len(chain)+1)
	// The innermost scope executes the line table's line; each outer scope
	// is at the call site of the scope inside it.
	for i := len(chain) - 1; i >= 0; i-- {
		sc := &u.scopes[chain[i]]
		locs = append(locs, Location{Function: ix.name(sc.origin), File: file, Line: line, Column: col})
		file, line, col = u.fileName(sc.callFile), sc.callLine, sc.callCol
	}
	if len(chain) == 0 {
		locs = append(locs, Location{File: file, Line: line, Column: col})
	}
	return locs, nil
}

// unitSlot decodes one unit once, outside the index's lock, so that
// several units can be decoded at the same time (PrepareSource).
type unitSlot struct {
	once sync.Once
	u    *unitIndex
	err  error
}

func (ix *dwarfIndex) unit(off dwarf.Offset) (*unitIndex, error) {
	ix.mu.Lock()
	slot, ok := ix.units[off]
	if !ok {
		slot = &unitSlot{}
		ix.units[off] = slot
	}
	ix.mu.Unlock()
	slot.once.Do(func() {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				slot.u, slot.err = nil, dwarfPanic(r)
			}
		}()
		slot.u, slot.err = ix.readUnit(off)
	})
	return slot.u, slot.err
}

// PrepareSource reads, in parallel, the DWARF of the modules holding the
// given link-time lookup addresses and decodes the units that hold them,
// so that the Source calls that follow find them ready: inflating glibc's
// compressed debug file and walking a Rust debug build's units overlap
// instead of queueing. The units' call sites are read on the same
// workers, for the tail-call frames. addrs are runtime addresses.
func (t *Table) PrepareSource(addrs []uint64) { t.prepareSource(addrs, false) }

// PrefetchSource is the part of PrepareSource that inflates nothing, for
// the addresses known early (the other threads' frames and the top of the
// crashed one's, while the crashed thread's walk goes on): the units the
// persistent cache holds, and the DWARF that is not compressed. A unit of
// a compressed file that is not cached waits for PrepareSource, which
// inflates all of a file's units in one pass of its stream (a second pass
// for a unit before the first one's last would inflate the section
// whole). Nothing is written to the cache.
func (t *Table) PrefetchSource(addrs []uint64) { t.prepareSource(addrs, true) }

func (t *Table) prepareSource(addrs []uint64, early bool) {
	byModule := map[*Module][]uint64{}
	for _, a := range addrs {
		if m := t.Module(a); m != nil {
			byModule[m] = append(byModule[m], m.FileAddr(a))
		}
	}
	// First every module's index (one file each), then every unit.
	mods := make([]*Module, 0, len(byModule))
	for m := range byModule {
		mods = append(mods, m)
	}
	parallel.Each(len(mods), func(i int) { mods[i].dwarfIndex() })
	var tasks []func()
	for m, fileAddrs := range byModule {
		ix := m.dwarf
		if ix == nil {
			continue
		}
		seen := map[dwarf.Offset]bool{}
		var offs []dwarf.Offset
		var at []uint64 // an address in each of offs
		for _, a := range fileAddrs {
			off, ok := ix.unitFor(a)
			if !ok || seen[off] {
				continue
			}
			seen[off] = true
			offs, at = append(offs, off), append(at, a)
		}
		if early && ix.lazy != nil && !ix.lazy.cachedUnits(offs) {
			continue
		}
		// A lazily read file inflates all of them in one pass first.
		ix.want(offs)
		// A unit's scopes and lines, and its call sites, are two walks
		// of its DIEs: two tasks, so that the workers share a large
		// unit (glibc's pthread_create.c) instead of one taking both.
		for k, off := range offs {
			tasks = append(tasks, func() { ix.unit(off) }, func() { m.prefetchCallSites(at[k]) })
		}
	}
	parallel.Each(len(tasks), func(i int) { tasks[i]() })
	if early {
		return
	}
	// What was inflated goes to the persistent cache, for the next run.
	for m := range byModule {
		if ix := m.dwarf; ix != nil && ix.lazy != nil {
			t.finder.saves.Add(1)
			go func() {
				defer t.finder.saves.Done()
				ix.lazy.save()
			}()
		}
	}
}

// maxNameDepth bounds the abstract_origin/specification chain followed for
// a name (a cycle in corrupt DWARF must not loop).
const maxNameDepth = 8

// name returns the name of the function DIE at off: its linkage name, else
// its DW_AT_name, else that of the DIE its abstract_origin or specification
// points at. Callers hold no lock.
func (ix *dwarfIndex) name(off dwarf.Offset) string {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if n, ok := ix.names[off]; ok {
		return n
	}
	n := ix.readName(off, 0)
	ix.names[off] = n
	return n
}

func (ix *dwarfIndex) readName(off dwarf.Offset, depth int) string {
	if depth > maxNameDepth || ix.d == nil {
		return ""
	}
	r := readerAt(ix.d, off)
	e, err := r.Next()
	if err != nil || e == nil {
		return ""
	}
	for _, a := range []dwarf.Attr{dwarf.AttrLinkageName, 0x2007 /* DW_AT_MIPS_linkage_name */} {
		if s, ok := e.Val(a).(string); ok && s != "" {
			return s
		}
	}
	plain, _ := e.Val(dwarf.AttrName).(string)
	for _, a := range []dwarf.Attr{dwarf.AttrAbstractOrigin, dwarf.AttrSpecification} {
		if o, ok := e.Val(a).(dwarf.Offset); ok {
			if n := ix.readName(o, depth+1); n != "" {
				return n
			}
		}
	}
	return plain
}

// sourceWarning returns the first DWARF error met while reading the
// module's debug information, or "".
func (m *Module) sourceWarning() string {
	if m.dwarfErr != nil {
		return fmt.Sprintf("module %s: DWARF not used: %v", m.Path, m.dwarfErr)
	}
	if ix := m.dwarf; ix != nil {
		ix.mu.Lock()
		defer ix.mu.Unlock()
		if ix.errMsg != "" {
			return fmt.Sprintf("module %s: DWARF of %s is partly unreadable: %s", m.Path, ix.path, ix.errMsg)
		}
	}
	return ""
}

// SourceWarnings lists the problems met reading the modules' DWARF and
// separate debug files.
func (t *Table) SourceWarnings() []string {
	var out []string
	for _, m := range t.Modules {
		m.localDebug() // its search may still be running (Preload)
		if w := m.sourceWarning(); w != "" {
			out = append(out, w)
		}
		out = append(out, m.debugWarnings...)
	}
	return out
}

// cleanPath tidies a DWARF file name for display: "./stdlib/./msort.c"
// becomes "stdlib/msort.c".
func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	return filepath.Clean(p)
}

// seekMu serializes readers entering a unit: debug/dwarf's Reader.Seek
// (and Data.Reader, which seeks to the first unit) fills a DWARF 5 unit's
// base offsets (DW_AT_str_offsets_base, DW_AT_addr_base...) the first time
// a reader enters it, without a lock, and sets the pointer to them before
// it fills them: two workers entering one unit at once (its scopes and its
// call sites are two tasks of PrepareSource; PrefetchSource runs beside
// it) raced, and one could read a strx or addrx attribute with a zero
// base.
var seekMu sync.Mutex

// readerAt returns a reader of d at off.
func readerAt(d *dwarf.Data, off dwarf.Offset) *dwarf.Reader {
	seekMu.Lock()
	defer seekMu.Unlock()
	r := d.Reader()
	r.Seek(off)
	return r
}
