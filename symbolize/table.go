package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/coreview/coreview/internal/diskcache"
	"github.com/coreview/coreview/internal/safefile"
)

// Region is one file-backed mapping of the address space.
type Region struct {
	Start, End uint64
	Off        uint64 // file offset of Start
	Path       string // as the process named it (NT_FILE)

	// Perm is the mapping's permissions as PF_R, PF_W and PF_X; 0 for
	// PROT_NONE.
	Perm elf.ProgFlag
}

// Options says where to find the files of modules.
type Options struct {
	// ExePath is the path the process mapped its executable from; Binary,
	// if set, is the file to read for it instead.
	ExePath string
	Binary  string
	// BinaryFrom says who named Binary, for the warning when it is not
	// read: "" for the user (--binary, or a scan's bin beside a core),
	// else words such as "systemd-coredump recorded".
	BinaryFrom string
	// Sysroot, if set, is prepended to every module path, and nothing
	// outside it is opened.
	Sysroot string
	// SearchPaths are directories searched for a module's file, by
	// build-id and then by base name, when the path itself does not give
	// the right file.
	SearchPaths []string
	// Dumped reads only the bytes the core holds; it is used to read each
	// module's build-id as the process had it.
	Dumped Memory
	// VDSO is AT_SYSINFO_EHDR, and Mem reads the full address space, to
	// load the vDSO image from memory. Zero means no vDSO.
	VDSO    uint64
	VDSOEnd uint64
	Mem     Memory
	// PageSize is the system page size (AT_PAGESZ); 4096 if zero.
	PageSize uint64
	// DebugDirs are searched for separate debug files, like gdb's
	// debug-file-directory: DIR/.build-id/xx/rest.debug, and for a
	// .gnu_debuglink name DIR/<module's directory>/name.
	DebugDirs []string
	// Debuginfod, if set, fetches debug files by build-id for modules
	// whose frames need them and that have none on disk (FetchDebug).
	Debuginfod *Debuginfod
	// DirIndex holds IndexDir's answer for search directories already
	// indexed (by a scan, once for all the cores of a directory).
	DirIndex map[string]map[string]string
	// CacheDir, if set, is the persistent cache directory for inflated
	// DWARF and symbol indexes (internal/diskcache); "" caches nothing.
	CacheDir string
}

// Table is the set of modules of one address space.
type Table struct {
	Modules  []*Module // sorted by Start
	Warnings []string

	dirs  map[string]map[string]string // search directory -> build-id -> file
	given map[string]map[string]string // Options.DirIndex

	finder *debugFinder
	// missing counts modules whose file was not found or opened.
	missing int
	// binaryTried says whether Options.Binary was tried for the
	// executable, and binaryWhy why it could not be read, if it could not.
	binaryTried bool
	binaryWhy   string

	preloads sync.WaitGroup
}

// Preload reads every module's symbol table in the background, so that
// lookups after an unwind do not wait. Close waits for it.
func (t *Table) Preload() {
	for _, m := range t.Modules {
		t.preloads.Add(1)
		go func() {
			defer t.preloads.Done()
			m.symtab()
		}()
	}
}

// Load builds the module table. Each load of a file is one module: the
// regions of one path are split into the loads of the file (splitLoads) and
// any other mappings of it, which are data (a program that mmaps its own
// executable or libc.so.6 to read it). A module whose file cannot be found,
// or whose identity differs from the core's, is kept and reported in
// Warnings.
func Load(regions []Region, opts Options) *Table {
	if opts.PageSize == 0 {
		opts.PageSize = 4096
	}
	t := newTable(opts)
	byPath := map[string][]Region{}
	var order []string
	for _, r := range regions {
		if _, ok := byPath[r.Path]; !ok {
			order = append(order, r.Path)
		}
		byPath[r.Path] = append(byPath[r.Path], r)
	}
	if len(order) > maxModules {
		t.Warnings = append(t.Warnings, fmt.Sprintf("the core maps %d distinct files; only the first %d are loaded as modules (a process has at most vm.max_map_count mappings, 65530 by default), the rest show as addresses", len(order), maxModules))
		order = order[:maxModules]
	}
	for _, path := range order {
		t.Modules = append(t.Modules, t.loadPath(path, byPath[path], opts)...)
	}
	if opts.VDSO != 0 && opts.Mem != nil {
		if m := loadVDSO(opts.Mem, opts.VDSO, opts.VDSOEnd); m != nil {
			t.Modules = append(t.Modules, m)
		}
	}
	if n := t.missing - maxMissingNamed; n > 0 {
		t.Warnings = append(t.Warnings, fmt.Sprintf("and %d more modules whose files were not found or not opened; their frames show module+offset", n))
	}
	if w := t.binaryUnused(opts); w != "" {
		t.Warnings = append(t.Warnings, w)
	}
	sort.Slice(t.Modules, func(i, j int) bool { return t.Modules[i].Start < t.Modules[j].Start })
	return t
}

// binaryUnused says why Options.Binary was not read, if it was given and
// was not: the file could not be opened or is not ELF (a wrapper script,
// such as pyenv's python3), or no module of the core is the executable.
// A file that was read and found not to match the core has the warnings
// open gives it.
func (t *Table) binaryUnused(opts Options) string {
	if opts.Binary == "" {
		return ""
	}
	from := "given"
	if opts.BinaryFrom != "" {
		from = opts.BinaryFrom
	}
	if !t.binaryTried {
		if opts.ExePath == "" {
			return fmt.Sprintf("the executable %s, %s, was not read: the core does not say which of its files is the executable (no AT_PHDR or AT_ENTRY in a file mapping)", from, opts.Binary)
		}
		return fmt.Sprintf("the executable %s, %s, was not read: no module of the core is its executable, %s", from, opts.Binary, opts.ExePath)
	}
	if t.binaryWhy == "" {
		return ""
	}
	instead := "its frames show module+offset"
	for _, m := range t.Modules {
		if m.Path == opts.ExePath && m.File != "" {
			instead = "using " + m.File
			if m.File == opts.ExePath {
				instead += ", the file the core names"
			}
			break
		}
	}
	return fmt.Sprintf("the executable %s, %s, was not read: %s; %s", from, opts.Binary, t.binaryWhy, instead)
}

// notELF says what a file that elf.NewFile refused starts with.
func notELF(f io.ReaderAt, err error) string {
	var head [4]byte
	n, _ := f.ReadAt(head[:], 0)
	switch {
	case n >= 2 && head[0] == '#' && head[1] == '!':
		return "it is a script (it starts with #!), not an ELF file"
	case n < 4:
		return fmt.Sprintf("it is not an ELF file (%d bytes)", n)
	case string(head[:]) != "\x7fELF":
		return "it is not an ELF file"
	}
	return fmt.Sprintf("it is not a valid ELF file (%v)", err)
}

// newTable returns an empty table whose files are opened as opts say:
// confined to the sysroot, if there is one.
func newTable(opts Options) *Table {
	t := &Table{finder: &debugFinder{dirs: opts.DebugDirs, debuginfod: opts.Debuginfod, cache: diskcache.Open(opts.CacheDir, 0)}, given: opts.DirIndex}
	if opts.Sysroot != "" {
		t.finder.sysroot = opts.Sysroot
		t.finder.root, t.finder.rootErr = safefile.OpenRoot(opts.Sysroot)
		if t.finder.rootErr != nil {
			t.Warnings = append(t.Warnings, fmt.Sprintf("sysroot %s cannot be opened (%v): no file under it is read", opts.Sysroot, t.finder.rootErr))
		}
	}
	return t
}

// loadPath opens the file of the regions of one path, once, and returns a
// module for each load of it among them.
func (t *Table) loadPath(path string, rs []Region, opts Options) []*Module {
	m := &Module{Path: path, finder: t.finder}
	m.Start, m.End = regionSpan(rs)
	// The ELF header page lives in the mapping at file offset 0; every
	// mapping of the file at offset 0 holds the same header.
	base, haveBase := headerMapping(rs)
	if haveBase && opts.Dumped != nil {
		m.CoreBuildID = memoryBuildID(opts.Dumped, base)
	}
	t.open(m, rs, base, haveBase, opts)
	var loads [][]Region
	if m.elf != nil {
		loads = splitLoads(progHeaders(m.elf), rs, opts.PageSize)
	}
	if len(loads) == 0 {
		loads = splitByOffsets(rs)
	}
	out := make([]*Module, len(loads))
	for i, ld := range loads {
		mi := m
		if i > 0 {
			mi = m.sibling()
		}
		mi.Start, mi.End = regionSpan(ld)
		// The header at base was read above, and siblings copy it.
		if b, ok := headerMapping(ld); ok && opts.Dumped != nil && b != base {
			mi.CoreBuildID = memoryBuildID(opts.Dumped, b)
		}
		if mi.elf != nil {
			t.setBias(mi, ld, opts.PageSize)
		}
		out[i] = mi
	}
	return out
}

// regionSpan returns the lowest start and highest end of rs.
func regionSpan(rs []Region) (start, end uint64) {
	start, end = rs[0].Start, rs[0].End
	for _, r := range rs {
		start, end = min(start, r.Start), max(end, r.End)
	}
	return start, end
}

// headerMapping returns the start of the first mapping of file offset 0.
func headerMapping(rs []Region) (uint64, bool) {
	for _, r := range rs {
		if r.Off == 0 {
			return r.Start, true
		}
	}
	return 0, false
}

// setBias computes m's bias from the first of its mappings that starts a
// PT_LOAD segment.
func (t *Table) setBias(m *Module, rs []Region, pageSize uint64) {
	progs := progHeaders(m.elf)
	for _, r := range rs {
		if b, err := loadBias(progs, r.Start, r.Off, pageSize); err == nil {
			m.Bias = b
			return
		}
	}
	m.Bias = m.Start
	t.Warnings = append(t.Warnings, fmt.Sprintf("module %s: no PT_LOAD matches its mappings at %#x-%#x; assuming it is loaded at %#x", m.Path, m.Start, m.End, m.Start))
}

// maxModules bounds the modules of one table: each is a file looked up
// and opened, and kept open.
const maxModules = 1 << 16

// maxMissingNamed bounds the modules without a file that get a warning of
// their own; a core can name a million files, and the rest are counted.
const maxMissingNamed = 20

// open finds and opens the file for m. A candidate whose identity
// disagrees with the core (build-id, or without one the ELF header page the
// kernel dumped) is kept only if nothing better turns up; one whose
// identity cannot be checked is taken, with Status unchecked.
func (t *Table) open(m *Module, rs []Region, base uint64, haveBase bool, opts Options) {
	var tried, refused, notELFs []string
	var why string
	for _, cand := range t.candidates(m, opts) {
		tried = append(tried, cand)
		given := cand == opts.Binary && m.Path == opts.ExePath
		t.binaryTried = t.binaryTried || given
		f, err := t.finder.open(cand)
		if err != nil {
			if errors.Is(err, safefile.ErrRefused) {
				refused = append(refused, err.Error())
			}
			if given {
				t.binaryWhy = err.Error()
			}
			continue
		}
		var r io.ReaderAt = f
		mapped, err := safefile.Map(f)
		if err == nil {
			r = mapped
		}
		ef, err := elf.NewFile(r)
		if err != nil {
			notELFs = append(notELFs, cand)
			if given {
				t.binaryWhy = notELF(r, err)
			}
			closeBoth(mapped, f)
			continue
		}
		fileID := fileBuildID(ef)
		id := checkIdentity(m.CoreBuildID, fileID, ef, f, rs, opts, base, haveBase)
		if id.status == StatusMismatch {
			// Keep looking for a file that matches; remember this one
			// in case none does.
			if m.elf == nil {
				m.elf, m.file, m.mmap, m.File, m.BuildID, m.Status = ef, f, mapped, cand, fileID, StatusMismatch
				why = id.why
			} else {
				closeBoth(mapped, f)
			}
			continue
		}
		if m.file != nil {
			t.Warnings = append(t.Warnings, fmt.Sprintf("module %s: skipped %s (%s); using %s, which matches the core", m.Path, m.File, why, cand))
			closeBoth(m.mmap, m.file)
		}
		m.elf, m.file, m.mmap, m.File, m.BuildID, m.Status = ef, f, mapped, cand, fileID, id.status
		m.StatusDetail = id.why
		break
	}
	switch m.Status {
	case "":
		m.Status = StatusMissing
		if t.missing++; t.missing > maxMissingNamed {
			return // counted in the summary Load adds
		}
		if len(refused) > 0 {
			t.Warnings = append(t.Warnings, fmt.Sprintf("module %s: no file opened: %s (tried %s); its frames show module+offset", m.Path, strings.Join(refused, "; "), strings.Join(tried, ", ")))
		} else if len(notELFs) > 0 {
			t.Warnings = append(t.Warnings, fmt.Sprintf("module %s: no ELF file found (tried %s; not ELF: %s); its frames show module+offset", m.Path, strings.Join(tried, ", "), strings.Join(notELFs, ", ")))
		} else {
			t.Warnings = append(t.Warnings, fmt.Sprintf("module %s: file not found (tried %s); its frames show module+offset", m.Path, strings.Join(tried, ", ")))
		}
		return
	case StatusMismatch:
		m.StatusDetail = why
		t.Warnings = append(t.Warnings, fmt.Sprintf("module %s: %s is not the file the process mapped (%s); its symbols and frames may be wrong", m.Path, m.File, why))
	case StatusUnchecked:
		t.Warnings = append(t.Warnings, fmt.Sprintf("module %s: whether %s is the file the process mapped is unchecked: %s", m.Path, m.File, m.StatusDetail))
	}
}

func closeBoth(m *safefile.Mapped, f io.Closer) {
	if m != nil {
		m.Close()
	}
	f.Close()
}

// identity is the outcome of comparing a candidate file with what the core
// says of the module: StatusOK (compared and equal), StatusMismatch or
// StatusUnchecked, and why for the latter two.
type identity struct {
	status Status
	why    string
}

// maxIdentityPhdrs bounds the program headers compared with the core's:
// 1024 entries are 56 KiB, past any real file's table (the kernel dumps
// one header page, which holds at most 72).
const maxIdentityPhdrs = 1024

// checkIdentity says whether a file is the one the process mapped. With
// build-ids on both sides they must be equal; a file without one cannot
// match a core that has one; with none in the core the ELF header and
// program headers the kernel dumped must equal the file's; without the
// header page, the module's mappings must fit the file's PT_LOAD segments
// (layoutMismatch). When the core holds the ELF header but not the program
// headers, or nothing at all to compare, the answer is unchecked, never ok.
func checkIdentity(coreID, fileID string, ef *elf.File, f io.ReaderAt, rs []Region, opts Options, base uint64, haveBase bool) identity {
	dumped := opts.Dumped
	switch {
	case coreID != "" && fileID != "" && coreID != fileID:
		return identity{StatusMismatch, fmt.Sprintf("build-id %s, the core's is %s", fileID, coreID)}
	case coreID != "" && fileID == "":
		return identity{StatusMismatch, fmt.Sprintf("the file has no build-id, the core's is %s", coreID)}
	case coreID != "":
		return identity{status: StatusOK}
	}
	// layout compares the mappings with the file's PT_LOADs, after what
	// could be compared of the header (said in what).
	layout := func(what string) identity {
		why, checked := layoutMismatch(progHeaders(ef), f, rs, opts.PageSize)
		switch {
		case why != "":
			return identity{StatusMismatch, why}
		case what == "" && checked:
			return identity{status: StatusOK}
		case what == "":
			return identity{StatusUnchecked, "the core holds no build-id, no ELF header page and no mapping of it with permissions to compare with the file's segments"}
		case checked:
			return identity{StatusUnchecked, what + "; its ELF header and the layout of its mappings match"}
		}
		return identity{StatusUnchecked, what + "; its ELF header matches"}
	}
	if !haveBase || dumped == nil {
		return layout("")
	}
	var mem, disk [64]byte
	if _, err := dumped.ReadAt(mem[:], base); err != nil || string(mem[:4]) != "\x7fELF" {
		// The header page was not dumped (coredump_filter without
		// bit 4): only the layout of the mappings is left.
		return layout("")
	}
	if _, err := f.ReadAt(disk[:], 0); err != nil {
		return identity{StatusMismatch, "the file is unreadable"}
	}
	if mem != disk {
		return identity{StatusMismatch, "its ELF header differs from the one dumped in the core"}
	}
	phoff, phnum := binary.LittleEndian.Uint64(disk[32:]), uint64(binary.LittleEndian.Uint16(disk[56:]))
	if phnum > maxIdentityPhdrs || phoff > 1<<16 {
		return layout(fmt.Sprintf("its program headers (%d at file offset %#x) are more than the %d compared", phnum, phoff, maxIdentityPhdrs))
	}
	pm, pd := make([]byte, phnum*56), make([]byte, phnum*56)
	if _, err := dumped.ReadAt(pm, base+phoff); err != nil {
		return layout(fmt.Sprintf("the core does not hold its program headers (%d at %#x)", phnum, base+phoff))
	}
	if _, err := f.ReadAt(pd, int64(phoff)); err != nil || string(pm) != string(pd) {
		return identity{StatusMismatch, "its program headers differ from the ones dumped in the core"}
	}
	return identity{status: StatusOK}
}

// candidates lists the files to try for m, in the order the user gave
// them, most explicit first: the executable given (--binary); each search
// directory in turn (scan puts the core's own directory first, then
// --binary-dir), by build-id and then by file name; then the path the core
// names, under the sysroot if there is one; last, for a library, the
// directory of the executable given, where libraries found through $ORIGIN
// are deployed beside it (the user named that file, so its directory is
// searched even with a sysroot). A file whose identity matches the core is
// taken over any file before it that does not (see open).
func (t *Table) candidates(m *Module, opts Options) []string {
	var out []string
	if m.Path == opts.ExePath && opts.Binary != "" {
		out = append(out, opts.Binary)
	}
	for _, dir := range opts.SearchPaths {
		if len(m.CoreBuildID) > 2 {
			// The layout of /usr/lib/debug/.build-id and debuginfod caches.
			out = append(out, filepath.Join(dir, ".build-id", m.CoreBuildID[:2], m.CoreBuildID[2:]))
			if p := t.byBuildID(dir)[m.CoreBuildID]; p != "" {
				out = append(out, p)
			}
		}
		out = append(out, filepath.Join(dir, filepath.Base(m.Path)))
	}
	if opts.Sysroot != "" {
		// Opened confined to the sysroot (debugFinder.open): its
		// symlinks resolve as if it were /.
		out = append(out, filepath.Join(opts.Sysroot, filepath.Clean("/"+m.Path)))
	} else if filepath.IsAbs(m.Path) {
		out = append(out, m.Path)
	}
	if opts.Binary != "" && m.Path != opts.ExePath {
		if p := filepath.Join(filepath.Dir(opts.Binary), filepath.Base(m.Path)); !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// maxSearchFiles bounds how many files of one search directory are opened
// to read their build-ids.
const maxSearchFiles = 4096

// byBuildID indexes the ELF files directly in dir by build-id, once per
// table, or takes the index Options.DirIndex holds for it.
func (t *Table) byBuildID(dir string) map[string]string {
	if idx, ok := t.dirs[dir]; ok {
		return idx
	}
	if t.dirs == nil {
		t.dirs = map[string]map[string]string{}
	}
	idx, ok := t.given[dir]
	if !ok {
		idx = indexDir(dir, t.finder.open)
	}
	t.dirs[dir] = idx
	return idx
}

// IndexDir indexes the ELF files directly in dir (the first 4096 entries)
// by build-id: what a table looks a module up by in a search directory. A
// scan computes it once per directory for all the cores there
// (Options.DirIndex).
func IndexDir(dir string) map[string]string { return indexDir(dir, safefile.Open) }

func indexDir(dir string, open func(string) (*os.File, error)) map[string]string {
	idx := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return idx
	}
	for i, e := range entries {
		if i >= maxSearchFiles {
			break
		}
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, err := open(p)
		if err != nil {
			continue
		}
		if ef, err := elf.NewFile(f); err == nil {
			if id := fileBuildID(ef); id != "" {
				if _, dup := idx[id]; !dup {
					idx[id] = p
				}
			}
		}
		f.Close()
	}
	return idx
}

// loadVDSO parses the vDSO image from the process's memory at base.
func loadVDSO(mem Memory, base, end uint64) *Module {
	if end <= base || end-base > 1<<20 {
		end = base + 2*4096
	}
	buf := make([]byte, end-base)
	n, _ := mem.ReadAt(buf, base)
	ef, err := elf.NewFile(bytes.NewReader(buf[:n]))
	if err != nil {
		return nil
	}
	m := &Module{Path: "[vdso]", Start: base, End: end, Status: StatusMemory, elf: ef, BuildID: fileBuildID(ef)}
	m.CoreBuildID = m.BuildID
	if b, err := loadBias(progHeaders(ef), base, 0, 4096); err == nil {
		m.Bias = b
	} else {
		m.Bias = base
	}
	return m
}

// Module returns the module whose address range holds pc, or nil.
func (t *Table) Module(pc uint64) *Module {
	i := sort.Search(len(t.Modules), func(i int) bool { return t.Modules[i].End > pc })
	if i < len(t.Modules) && t.Modules[i].Start <= pc {
		return t.Modules[i]
	}
	return nil
}

// Close releases all module files, once background reads have finished.
func (t *Table) Close() {
	t.preloads.Wait()
	t.finder.saves.Wait()
	for _, m := range t.Modules {
		m.Close()
	}
	if t.finder.root != nil {
		t.finder.root.Close()
	}
	t.finder.cache.Close()
}

// progHeaders returns the program headers of f.
func progHeaders(f *elf.File) []elf.ProgHeader {
	out := make([]elf.ProgHeader, len(f.Progs))
	for i, p := range f.Progs {
		out[i] = p.ProgHeader
	}
	return out
}
