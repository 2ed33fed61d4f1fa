package corefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/coreview/coreview/internal/safefile"
)

// FileOpener opens the file that backs a file mapping, given the path the
// core's NT_FILE note names. It returns the file's bytes and their size.
// The caller decides where to look (a sysroot, search paths) and which
// files it is willing to open.
type FileOpener func(path string) (r io.ReaderAt, size int64, err error)

// Memory is the address space of the process as it was: each byte comes from
// the core where the kernel dumped it, otherwise from the mapped file at the
// NT_FILE offset. It is safe for concurrent use.
type Memory struct {
	core *File
	open FileOpener

	mu    sync.Mutex
	files map[string]*backing

	// win is the dumped bytes of the mapping the last ReadUint64 found in
	// the mapped core: a stack walk reads one stack's words, seven to a
	// frame, and ten thousand frames of a recursion went through locate
	// and a copy for each.
	win atomic.Pointer[window]
}

// window is a mapping's dumped bytes in the mapped core file.
type window struct {
	start uint64 // the runtime address of data[0]
	data  []byte
}

type backing struct {
	r    io.ReaderAt
	size int64
	err  error
}

// Memory returns the core's address space. open may be nil, in which case
// bytes that only a mapped file holds cannot be read.
func (c *File) Memory(open FileOpener) *Memory {
	return &Memory{core: c, open: open, files: map[string]*backing{}}
}

// Core returns the core file the memory belongs to.
func (m *Memory) Core() *File { return m.core }

// ReadAt reads len(p) bytes at runtime address addr. Reads may cross
// mapping boundaries. On a short read the error is a *MemoryError naming the
// first address that could not be read, its mapping and why.
func (m *Memory) ReadAt(p []byte, addr uint64) (int, error) {
	n := 0
	for n < len(p) {
		k, err := m.readMapping(p[n:], addr+uint64(n))
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// readMapping reads from the single mapping holding addr.
func (m *Memory) readMapping(p []byte, addr uint64) (int, error) {
	src, err := m.locate(addr)
	if err != nil {
		return 0, err
	}
	if uint64(len(p)) > src.n {
		p = p[:src.n]
	}
	n, err := src.r.ReadAt(p, src.off)
	if n < len(p) {
		if err == nil || errors.Is(err, io.EOF) {
			reason := FileShort
			if src.core {
				reason = Truncated
			}
			return n, &MemoryError{Addr: addr + uint64(n), Mapping: src.mp, Reason: reason}
		}
		if src.core {
			m.core.noteRead(err)
		}
		return n, err
	}
	return n, nil
}

// source is where the bytes of one mapping from some address on are:
// n bytes of r from off.
type source struct {
	mp   *Mapping
	r    io.ReaderAt
	off  int64
	n    uint64
	core bool // r is the core file; otherwise the mapped file
}

// locate finds where the byte at runtime address addr is kept, and how
// many after it in the same place, or says why it cannot be read.
func (m *Memory) locate(addr uint64) (source, error) {
	mp := m.core.Mapping(addr)
	if mp == nil {
		return source{}, &MemoryError{Addr: addr, Reason: NotMapped}
	}
	avail := mp.End - addr
	rel := addr - mp.Start
	if present := mp.present(); rel < present {
		// Dumped bytes: [Off, Off+present) of the core.
		return source{mp: mp, r: m.core.r, off: mp.Off + int64(rel), n: min(avail, present-rel), core: true}, nil
	} else if rel < mp.FileSize && !mp.readFromFile() {
		// Dumped, then lost when the core was cut; the file would
		// give the bytes before the process wrote them.
		return source{}, &MemoryError{Addr: addr, Mapping: mp, Reason: Truncated}
	}
	if mp.Perm == 0 {
		return source{}, &MemoryError{Addr: addr, Mapping: mp, Reason: ProtNone}
	}
	if mp.File == "" {
		return source{}, &MemoryError{Addr: addr, Mapping: mp, Reason: NotDumped}
	}
	b := m.backing(mp.File)
	if b.err != nil {
		return source{}, &MemoryError{Addr: addr, Mapping: mp, Reason: FileMissing}
	}
	// The mapping maps the file from FileOff: runtime address Start+k holds
	// file byte FileOff+k.
	off := mp.FileOff + rel
	if off >= uint64(b.size) {
		return source{}, &MemoryError{Addr: addr, Mapping: mp, Reason: FileShort}
	}
	return source{mp: mp, r: b.r, off: int64(off), n: min(avail, uint64(b.size)-off)}, nil
}

// backing opens path once and remembers the result, failure included.
func (m *Memory) backing(path string) *backing {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.files[path]; ok {
		return b
	}
	b := &backing{err: errors.New("no file opener")}
	if m.open != nil {
		b.r, b.size, b.err = m.open(path)
	}
	m.files[path] = b
	return b
}

// FileError returns why the file backing path could not be opened, or nil.
func (m *Memory) FileError(path string) error { return m.backing(path).err }

// ReadUint64 reads the little-endian 8-byte word at addr. A word that lies
// in one memory-mapped file (the core, or a mapped file) is read without
// allocating (the unwinder reads several per frame); the rest go through
// ReadAt.
func (m *Memory) ReadUint64(addr uint64) (uint64, error) {
	if w := m.win.Load(); w != nil && addr >= w.start && addr-w.start <= uint64(len(w.data))-8 && !m.core.closed.Load() {
		v, err := readWord(w.data, addr-w.start)
		if err != nil {
			m.core.noteRead(err)
		}
		return v, err
	}
	src, err := m.locate(addr)
	if err != nil {
		return 0, err // ReadAt would fail at addr alike
	}
	if r, ok := src.r.(*safefile.Mapped); ok && src.n >= 8 {
		if src.core {
			// The whole mapping's dumped bytes, for the next reads.
			mp, data := src.mp, r.Bytes()
			if lo, n := mp.Off, mp.present(); lo >= 0 && uint64(lo) <= uint64(len(data)) && n <= uint64(len(data))-uint64(lo) && n >= 8 {
				m.win.Store(&window{start: mp.Start, data: data[lo : uint64(lo)+n : uint64(lo)+n]})
			}
		}
		var b [8]byte // does not escape: Mapped.ReadAt keeps no reference
		if n, err := r.ReadAt(b[:], src.off); err == nil && n == 8 {
			return binary.LittleEndian.Uint64(b[:]), nil
		}
	}
	b := make([]byte, 8)
	if _, err := m.ReadAt(b, addr); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// readWord reads the word at off of mapped bytes: a fault (the file
// shrank underneath) is the read's error, as in safefile.Mapped.ReadAt.
func readWord(b []byte, off uint64) (v uint64, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer safefile.RecoverFault(&err)
	return binary.LittleEndian.Uint64(b[off:]), nil
}

// ReadCString reads a NUL-terminated string at addr, at most max bytes.
func (m *Memory) ReadCString(addr uint64, max int) (string, error) {
	const chunk = 64
	var out []byte
	for len(out) < max {
		// Read into out's spare room: a buffer of ReadAt's escapes.
		out = slices.Grow(out, chunk)
		buf := out[len(out) : len(out)+chunk]
		n, err := m.ReadAt(buf, addr+uint64(len(out)))
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			return string(out[:len(out)+i]), nil
		}
		out = out[:len(out)+n]
		if err != nil {
			if n > 0 {
				continue
			}
			return string(out), err
		}
	}
	return string(out[:max]), nil
}

// Executable reports whether addr lies in a mapping with execute permission.
func (m *Memory) Executable(addr uint64) bool {
	mp := m.core.Mapping(addr)
	if mp != nil && mp.Undumped && !mp.PermKnown {
		return m.fileExecutable(mp)
	}
	return mp != nil && mp.Perm&PermX != 0
}
