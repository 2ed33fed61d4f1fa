package corefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync/atomic"
	"syscall"

	"github.com/coreview/coreview/internal/safefile"
)

// ELF constants used here, spelled as in the System V gABI.
const (
	elfClass64  = 2
	elfData2LSB = 1
	etCore      = 4
	emX86_64    = 62
	ptLoad      = 1
	ptNote      = 4
	pnXnum      = 0xffff

	ehdrSize = 64
	phdrSize = 56
	shdrSize = 64
)

// Limits on what a core file may ask this reader to allocate.
const (
	maxPhdrs     = 1 << 20   // program headers (PN_XNUM allows 2^32)
	maxNoteBytes = 512 << 20 // all PT_NOTE segments together
	maxThreads   = 1 << 16   // NT_PRSTATUS notes: each thread is unwound
)

// File is an opened ELF core file.
type File struct {
	// closed is set by Close: Memory's window into the mapped core is
	// not read after it.
	closed atomic.Bool

	Mappings []*Mapping // sorted by Start; every PT_LOAD, PROT_NONE ones included
	Threads  []*Thread  // in note order; Threads[0] is the one that dumped core

	Process *Process    // NT_PRPSINFO, nil if absent
	Siginfo *Siginfo    // NT_SIGINFO, nil if absent
	Auxv    []AuxEntry  // NT_AUXV
	Files   []FileEntry // NT_FILE
	// Inferred are file mappings found without NT_FILE (InferFiles).
	Inferred []FileEntry

	// Warnings are problems that did not stop the reading: a truncated core,
	// a malformed note that was skipped.
	Warnings []string
	changed  changedState
	// problems are the malformed structures among them, each a
	// *FormatError saying where in the file it lies.
	problems []error

	r       io.ReaderAt
	size    int64
	closers []io.Closer

	dropped    int   // NT_PRSTATUS notes past maxThreads
	droppedOff int64 // where the first of them is
}

// Open opens the named core file. Only regular files are opened, so a path
// that names a FIFO or a device cannot block the caller.
func Open(name string) (*File, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err = f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	return OpenFile(f)
}

// OpenFile reads a core from an open file, which the File then owns. The
// file is memory-mapped when possible, so reads of the address space are
// copies rather than system calls.
func OpenFile(f *os.File) (*File, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	var r io.ReaderAt = f
	closers := []io.Closer{f}
	if m, err := safefile.Map(f); err == nil {
		r = m
		closers = append([]io.Closer{m}, closers...)
	}
	c, err := newFile(r, f, st.Size())
	if err != nil {
		for _, cl := range closers {
			cl.Close()
		}
		return nil, err
	}
	c.closers = closers
	return c, nil
}

// Close releases the file Open or OpenFile opened.
func (c *File) Close() error {
	c.closed.Store(true)
	var first error
	for _, cl := range c.closers {
		if err := cl.Close(); err != nil && first == nil {
			first = err
		}
	}
	c.closers = nil
	return first
}

// Size returns the size of the core file in bytes.
func (c *File) Size() int64 { return c.size }

// NewFile reads a core from r, whose size is size bytes.
func NewFile(r io.ReaderAt, size int64) (*File, error) { return newFile(r, r, size) }

// newFile reads the headers and notes through hr and keeps r for the
// address space. OpenFile gives the file itself as hr and its mapping as
// r: headers and notes are read once into memory, and reading them
// through the mapping would also make their pages resident, counting
// them twice (a 500 MB PT_NOTE is 1 GB of RSS).
func newFile(r, hr io.ReaderAt, size int64) (*File, error) {
	c := &File{r: r, size: size}
	r = hr
	var eh [ehdrSize]byte
	if n, err := r.ReadAt(eh[:], 0); n < len(eh) {
		if n >= 4 && string(eh[:4]) == "\x7fELF" {
			return nil, &FormatError{Off: int64(n), Msg: "ELF header is truncated", Err: ErrNotCore}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if n == 0 {
			return nil, &FormatError{Off: 0, Msg: "empty file, not an ELF core", Err: ErrNotCore}
		}
		return nil, &FormatError{Off: 0, Msg: fmt.Sprintf("not an ELF file (only %d bytes)", n), Err: ErrNotCore}
	}
	if string(eh[:4]) != "\x7fELF" {
		return nil, &FormatError{Off: 0, Msg: "not an ELF file (bad magic)", Val: fmt.Sprintf("% x", eh[:4]), Err: ErrNotCore}
	}
	if eh[4] != elfClass64 {
		return nil, &FormatError{Off: 4, Msg: "not a 64-bit ELF file (EI_CLASS)", Val: eh[4], Err: ErrUnsupported}
	}
	if eh[5] != elfData2LSB {
		return nil, &FormatError{Off: 5, Msg: "not a little-endian ELF file (EI_DATA)", Val: eh[5], Err: ErrUnsupported}
	}
	le := binary.LittleEndian
	if t := le.Uint16(eh[16:]); t != etCore {
		return nil, &FormatError{Off: 16, Msg: fmt.Sprintf("ELF type is %s, not ET_CORE", elfTypeName(t)), Err: ErrNotCore}
	}
	if m := le.Uint16(eh[18:]); m != emX86_64 {
		return nil, &FormatError{Off: 18, Msg: "machine is not x86_64 (e_machine)", Val: m, Err: ErrUnsupported}
	}
	phoff := le.Uint64(eh[32:])
	shoff := le.Uint64(eh[40:])
	phentsize := le.Uint16(eh[54:])
	phnum := uint64(le.Uint16(eh[56:]))
	if phentsize != phdrSize {
		return nil, &FormatError{Off: 54, Msg: "bad e_phentsize", Val: phentsize}
	}
	if phnum == pnXnum {
		// More than 0xfffe segments: the real count is in sh_info of
		// section header 0 (gABI "Extended Program Header Numbering").
		var sh [shdrSize]byte
		if shoff == 0 || shoff > uint64(size) {
			return nil, &FormatError{Off: 40, Msg: "PN_XNUM without a section header", Val: shoff}
		}
		if _, err := r.ReadAt(sh[:], int64(shoff)); err != nil {
			return nil, &FormatError{Off: int64(shoff), Msg: "reading section header 0 for PN_XNUM"}
		}
		phnum = uint64(le.Uint32(sh[44:]))
	}
	if phnum > maxPhdrs || phoff > uint64(size) || phnum*phdrSize > uint64(size)-phoff {
		return nil, &FormatError{Off: 32, Msg: fmt.Sprintf("%d program headers at %#x do not fit in a %d-byte file", phnum, phoff, size)}
	}
	ph := make([]byte, phnum*phdrSize)
	if _, err := r.ReadAt(ph, int64(phoff)); err != nil {
		return nil, &FormatError{Off: int64(phoff), Msg: "reading program headers: " + err.Error()}
	}
	var notes [][2]uint64 // offset, size of each PT_NOTE
	for i := uint64(0); i < phnum; i++ {
		p := ph[i*phdrSize:]
		off := int64(phoff + i*phdrSize)
		typ := le.Uint32(p[0:])
		flags := le.Uint32(p[4:])
		pOff, vaddr, filesz, memsz := le.Uint64(p[8:]), le.Uint64(p[16:]), le.Uint64(p[32:]), le.Uint64(p[40:])
		switch typ {
		case ptNote:
			notes = append(notes, [2]uint64{pOff, filesz})
		case ptLoad:
			if vaddr+memsz < vaddr {
				c.malformed(off, "PT_LOAD %d: segment %#x+%#x wraps around the address space; skipped", i, vaddr, memsz)
				continue
			}
			if memsz == 0 {
				continue
			}
			// FileSize stays what the header claims even when the file
			// ends first: those bytes were dumped and lost, which is not
			// the same as never dumped (markCut records where they stop).
			m := &Mapping{Start: vaddr, End: vaddr + memsz, Perm: Perm(flags & 7), Off: int64(pOff), FileSize: min(filesz, memsz), phdrOff: off}
			c.Mappings = append(c.Mappings, m)
		}
	}
	sort.SliceStable(c.Mappings, func(i, j int) bool { return c.Mappings[i].Start < c.Mappings[j].Start })
	for i := 1; i < len(c.Mappings); i++ {
		if prev, m := c.Mappings[i-1], c.Mappings[i]; m.Start < prev.End {
			c.malformed(m.phdrOff, "PT_LOAD segments %#x-%#x and %#x-%#x overlap; the later one is cut", prev.Start, prev.End, m.Start, m.End)
			cut := prev.End - m.Start
			if cut >= m.End-m.Start {
				c.Mappings = append(c.Mappings[:i], c.Mappings[i+1:]...)
				i--
				continue
			}
			m.Start += cut
			m.Off += int64(min(cut, m.FileSize))
			m.FileSize -= min(cut, m.FileSize)
		}
	}
	c.markCut()

	var total uint64
	for _, n := range notes {
		off, sz := n[0], n[1]
		if off >= uint64(size) {
			c.malformed(int64(off), "PT_NOTE lies beyond the end of the %d-byte file", size)
			continue
		}
		if sz > uint64(size)-off {
			c.malformed(int64(off), "PT_NOTE is truncated (%d of %d bytes present)", uint64(size)-off, sz)
			sz = uint64(size) - off
		}
		if total += sz; total > maxNoteBytes {
			c.warnf("notes exceed %d bytes; the rest are ignored", maxNoteBytes)
			break
		}
		buf := make([]byte, sz)
		if _, err := r.ReadAt(buf, int64(off)); err != nil && !errors.Is(err, io.EOF) {
			return nil, &FormatError{Off: int64(off), Msg: "reading PT_NOTE: " + err.Error()}
		}
		c.parseNotes(buf, int64(off))
	}
	if c.dropped > 0 {
		c.malformed(c.droppedOff, "more than %d NT_PRSTATUS notes: the %d from here on are ignored", maxThreads, c.dropped)
	}
	if len(c.Threads) == 0 {
		c.warnf("the core has no NT_PRSTATUS note: no thread registers")
	}
	c.attachFiles()
	c.warnCut()
	return c, nil
}

func (c *File) warnf(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

// malformed records a structure at offset off of the file that is wrong
// but could be skipped.
func (c *File) malformed(off int64, format string, args ...any) {
	c.problem(&FormatError{Off: off, Msg: fmt.Sprintf(format, args...)})
}

func (c *File) problem(err error) {
	c.problems = append(c.problems, err)
	c.Warnings = append(c.Warnings, err.Error())
}

func elfTypeName(t uint16) string {
	switch t {
	case 0:
		return "ET_NONE"
	case 1:
		return "ET_REL"
	case 2:
		return "ET_EXEC (an executable)"
	case 3:
		return "ET_DYN (a shared object or PIE)"
	case 4:
		return "ET_CORE"
	}
	return fmt.Sprintf("%#x", t)
}

// attachFiles records on each mapping the file NT_FILE says is mapped there.
// NT_FILE entries describe whole VMAs, which are the PT_LOADs one to one.
func (c *File) attachFiles() {
	for i := range c.Files {
		fe := &c.Files[i]
		for _, m := range c.mappingsIn(fe.Start, fe.End) {
			m.File = fe.Path
			m.FileOff = fe.Off + (m.Start - fe.Start)
		}
	}
	c.addUndumped()
}

// mappingsIn returns the mappings that start inside [start, end).
func (c *File) mappingsIn(start, end uint64) []*Mapping {
	i := sort.Search(len(c.Mappings), func(i int) bool { return c.Mappings[i].Start >= start })
	j := i
	for j < len(c.Mappings) && c.Mappings[j].Start < end {
		j++
	}
	return c.Mappings[i:j]
}

// Mapping returns the mapping that holds addr, or nil.
func (c *File) Mapping(addr uint64) *Mapping {
	i := sort.Search(len(c.Mappings), func(i int) bool { return c.Mappings[i].End > addr })
	if i < len(c.Mappings) && c.Mappings[i].Start <= addr {
		return c.Mappings[i]
	}
	return nil
}

// CrashedThread returns the thread that dumped core: the kernel writes its
// NT_PRSTATUS first (fill_note_info in fs/binfmt_elf.c). Nil if no threads.
func (c *File) CrashedThread() *Thread {
	if len(c.Threads) == 0 {
		return nil
	}
	return c.Threads[0]
}
