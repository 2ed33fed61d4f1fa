package safefile

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"unsafe"
)

// ErrChanged is wrapped by the error a read of a mapped file returns when
// the file shrank underneath the mapping: the kernel raises SIGBUS for a
// page past the new end, which Go treats as fatal unless the goroutine
// asked for a panic instead (debug.SetPanicOnFault).
var ErrChanged = errors.New("the file changed while being read")

// ChangedError names the mapped file a fault hit.
type ChangedError struct {
	Path string
	Addr uintptr
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s: the file changed while being read (it shrank or was rewritten underneath; a read at %#x past its new end faulted)", e.Path, e.Addr)
}

// Unwrap makes errors.Is(err, ErrChanged) hold.
func (e *ChangedError) Unwrap() error { return ErrChanged }

// The live mappings, so that a fault can be told apart from a bug: only a
// fault inside one of them is a file that changed.
var (
	mapsMu sync.Mutex
	maps   = map[uintptr]mapped{}
)

type mapped struct {
	end  uintptr
	path string
}

func register(data []byte, path string) {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
	mapsMu.Lock()
	maps[start] = mapped{start + uintptr(len(data)), path}
	mapsMu.Unlock()
}

func unregister(data []byte) {
	mapsMu.Lock()
	delete(maps, uintptr(unsafe.Pointer(unsafe.SliceData(data))))
	mapsMu.Unlock()
}

// FaultError returns the error for a recovered panic value when it is a
// memory fault inside a file this package mapped, else nil.
func FaultError(r any) error {
	f, ok := r.(interface{ Addr() uintptr })
	if !ok {
		return nil
	}
	if _, ok := r.(error); !ok {
		return nil
	}
	addr := f.Addr()
	mapsMu.Lock()
	defer mapsMu.Unlock()
	for start, m := range maps {
		if addr >= start && addr < m.end {
			return &ChangedError{Path: m.path, Addr: addr - start}
		}
	}
	return nil
}

// RecoverFault, deferred directly, turns a fault in a mapped file into
// *err; any other panic goes on. The goroutine must have asked for faults
// to panic (Guard, or debug.SetPanicOnFault).
func RecoverFault(err *error) {
	if r := recover(); r != nil {
		if e := FaultError(r); e != nil {
			*err = e
			return
		}
		panic(r)
	}
}

// Guard runs f with faults turned into panics and returns a fault in a
// mapped file as a *ChangedError: the boundary for code that reads mapped
// bytes directly (Mapped.Bytes) on its own goroutine.
func Guard(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer RecoverFault(&err)
	return f()
}
