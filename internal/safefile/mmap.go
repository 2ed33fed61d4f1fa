package safefile

import (
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
)

// Mapped is a read-only memory mapping of a whole file. It implements
// io.ReaderAt; reads are copies from the page cache, without system calls.
type Mapped struct {
	data []byte
}

// maxMap caps the size of a file mapped in one piece.
const maxMap = 1 << 40

// Map maps f read-only. A file that cannot be mapped (empty, too large, a
// file system without mmap) returns an error; callers fall back to reads.
func Map(f *os.File) (*Mapped, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size <= 0 || size > maxMap {
		return nil, fmt.Errorf("%s: cannot map %d bytes", f.Name(), size)
	}
	reserveAS(size)
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		reserveAS(-size)
		return nil, fmt.Errorf("mmap %s: %w", f.Name(), err)
	}
	register(data, f.Name())
	return &Mapped{data: data}, nil
}

// ReadAt copies len(p) bytes at off. If the file shrank underneath the
// mapping, the copy faults; the fault is caught here and returned as a
// *ChangedError (wrapping ErrChanged), never a crash.
func (m *Mapped) ReadAt(p []byte, off int64) (n int, err error) {
	if off < 0 || off >= int64(len(m.data)) {
		return 0, errEOF
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer RecoverFault(&err)
	n = copy(p, m.data[off:])
	if n < len(p) {
		return n, errEOF
	}
	return n, nil
}

// Bytes returns the mapped bytes; they are valid until Close. Reading
// them faults if the file shrinks: readers run under Guard.
func (m *Mapped) Bytes() []byte { return m.data }

// Size returns the file's size.
func (m *Mapped) Size() int64 { return int64(len(m.data)) }

// Close unmaps the file.
func (m *Mapped) Close() error {
	if m.data == nil {
		return nil
	}
	unregister(m.data)
	err := syscall.Munmap(m.data)
	if err == nil {
		reserveAS(-int64(len(m.data)))
	}
	m.data = nil
	return err
}
