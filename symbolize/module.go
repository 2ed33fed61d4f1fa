package symbolize

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/coreview/coreview/internal/safefile"
)

// Status says how far a module's file on disk can be trusted.
type Status string

// Module statuses.
const (
	StatusOK        Status = "ok"        // file found and checked: build-ids, or the dumped headers, or the layout agree
	StatusUnchecked Status = "unchecked" // file found, but the core holds too little to check it (StatusDetail says why)
	StatusMismatch  Status = "mismatch"  // file found but its identity differs from the core's
	StatusMissing   Status = "missing"   // no file found: frames show module+offset only
	StatusMemory    Status = "memory"    // read from the core's memory (the vDSO)
)

// Module is one ELF object mapped into the process.
type Module struct {
	Path       string // the path the process mapped (from NT_FILE), or "[vdso]"
	File       string // the file read on disk, if any
	Start, End uint64 // runtime address range of all its mappings
	Bias       uint64 // runtime address minus link-time address
	Status     Status
	// StatusDetail says why the status is unchecked or mismatch.
	StatusDetail string

	BuildID     string // of the file on disk (hex), if any
	CoreBuildID string // from the ELF header page dumped in the core, if any

	elf  *elf.File
	file *os.File
	mmap *safefile.Mapped
	// borrowed is set on a second load of a file (sibling): elf, file and
	// mmap belong to the first module, which closes them.
	borrowed bool

	symOnce sync.Once
	syms    *symtab

	// Separate debug file and DWARF, found and read on first use.
	finder        *debugFinder
	localOnce     sync.Once
	local         *debugFile // found on disk
	remote        *debugFile // fetched from debuginfod
	debugWarnings []string
	dwarfOnce     sync.Once
	dwarfLooked   bool // dwarfOnce ran: a debug file fetched after it is not read
	dwarf         *dwarfIndex
	dwarfErr      error
	changed       error         // the file changed underneath while its symbols were read
	callSites     callSiteCache // call sites by unit, read on first use (callsite.go)
	funcNames     funcNameIndex // every function name, for call site targets (callsite.go)
}

// Changed returns the error of a read that found the module's file
// changed while it was mapped (safefile.ErrChanged), or nil.
func (m *Module) Changed() error {
	if m.changed != nil {
		return m.changed
	}
	if m.dwarfErr != nil && errors.Is(m.dwarfErr, safefile.ErrChanged) {
		return m.dwarfErr
	}
	return nil
}

// FileAddr converts a runtime address in the module to the link-time
// address in its ELF file: fileAddr = pc - Bias. See loadBias for how Bias
// is derived.
func (m *Module) FileAddr(pc uint64) uint64 { return pc - m.Bias }

// RuntimeAddr is FileAddr's inverse: the runtime address of the link-time
// address fileAddr in the module's ELF file, fileAddr + Bias (a symbol's
// value, a relocation's offset or addend, as the loader placed it).
func (m *Module) RuntimeAddr(fileAddr uint64) uint64 { return fileAddr + m.Bias }

// Contains reports whether pc lies in the module's address range.
func (m *Module) Contains(pc uint64) bool { return pc >= m.Start && pc < m.End }

// IsGo reports whether the module is a Go program: Go's linker, and the
// system linker for cgo, keep the runtime's pc table in .gopclntab (or
// its build information in .go.buildinfo).
func (m *Module) IsGo() bool {
	return m.elf != nil && (m.elf.Section(".gopclntab") != nil || m.elf.Section(".go.buildinfo") != nil)
}

// ELF returns the module's parsed ELF file, or nil when it is missing.
func (m *Module) ELF() *elf.File { return m.elf }

// Name returns the module's base name, for module+offset display.
func (m *Module) Name() string {
	for i := len(m.Path) - 1; i >= 0; i-- {
		if m.Path[i] == '/' {
			return m.Path[i+1:]
		}
	}
	return m.Path
}

// Section returns the bytes and link-time address of the named section, or
// nil if the module has no such section (or no file).
func (m *Module) Section(name string) ([]byte, uint64) {
	if m.elf == nil {
		return nil, 0
	}
	s := m.elf.Section(name)
	if s == nil {
		return nil, 0
	}
	b := m.sectionBytes(s)
	if b == nil {
		return nil, 0
	}
	return b, s.Addr
}

// maxSectionSize caps what one section may make us allocate.
const maxSectionSize = 1 << 30

// Close releases the module's file and its debug file.
func (m *Module) Close() {
	for _, d := range []*debugFile{m.local, m.remote} {
		if d != nil {
			d.close()
		}
	}
	if m.borrowed {
		return
	}
	if m.mmap != nil {
		m.mmap.Close()
	}
	if m.file != nil {
		m.file.Close()
	}
}

// sibling returns a module for another load of m's file (a library loaded
// twice with dlmopen, an image mapped by a custom loader): the same file,
// opened once and shared, with its own address range, bias and caches.
func (m *Module) sibling() *Module {
	return &Module{Path: m.Path, File: m.File, Status: m.Status, StatusDetail: m.StatusDetail,
		BuildID: m.BuildID, CoreBuildID: m.CoreBuildID,
		elf: m.elf, file: m.file, mmap: m.mmap, borrowed: true, finder: m.finder}
}

// loadBias returns the bias of an ELF object whose mapping at runtime
// address start maps file offset off. A PT_LOAD segment places file bytes
// [p_offset, p_offset+p_filesz) at p_vaddr+bias; the kernel and ld.so map
// whole pages, so the mapping of that segment starts at runtime address
// pagedown(p_vaddr)+bias and at file offset pagedown(p_offset). Given the
// segment whose pagedown(p_offset) equals off:
//
//	bias = start - pagedown(p_vaddr)
//
// For ET_EXEC the first segment has p_vaddr 0x400000 mapped at 0x400000, so
// the bias is 0; for ET_DYN (PIE, shared objects, static-pie) p_vaddr starts
// near 0 and the bias is the load base.
func loadBias(progs []elf.ProgHeader, start, off, pageSize uint64) (uint64, error) {
	mask := ^(pageSize - 1)
	for _, p := range progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		if p.Off&mask == off {
			return start - p.Vaddr&mask, nil
		}
	}
	return 0, fmt.Errorf("no PT_LOAD maps file offset %#x", off)
}

// Reader returns the module's file on disk and its size, for reading the
// bytes of its file-backed mappings.
func (m *Module) Reader() (io.ReaderAt, int64, error) {
	if m.mmap != nil {
		return m.mmap, m.mmap.Size(), nil
	}
	if m.file == nil {
		return nil, 0, fmt.Errorf("module %s: no file", m.Path)
	}
	st, err := m.file.Stat()
	if err != nil {
		return nil, 0, err
	}
	return m.file, st.Size(), nil
}
