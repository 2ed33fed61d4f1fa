package corefile

import (
	"errors"
	"fmt"
)

// ErrNotCore is returned (wrapped in a FormatError) when the input is a valid
// ELF file but not an ET_CORE, or not an ELF file at all.
var ErrNotCore = errors.New("not an ELF core file")

// ErrUnsupported is returned (wrapped in a FormatError) for cores of another
// class, byte order or machine than x86_64 Linux.
var ErrUnsupported = errors.New("unsupported core")

// FormatError records where in the core file a structure failed to decode.
type FormatError struct {
	Off int64  // offset in the core file
	Msg string // what was wrong
	Val any    // the offending value, if any
	Err error  // a sentinel such as ErrNotCore, if any
}

// Error writes the error in the shape all of coreview's decoders share
// (stackmap's and symbolize's FormatError too): "WHERE at offset OFF:
// WHAT 'VALUE'". Err, a sentinel that classifies the error, is not
// repeated: Msg already says it.
func (e *FormatError) Error() string {
	s := fmt.Sprintf("core file at offset %#x: %s", e.Off, e.Msg)
	if e.Val != nil {
		s += fmt.Sprintf(" '%v'", e.Val)
	}
	return s
}

// Unwrap returns the sentinel the error carries, so errors.Is works.
func (e *FormatError) Unwrap() error { return e.Err }

// Reason says why bytes of the address space cannot be read.
type Reason int

// Reasons a read of the address space fails.
const (
	NotMapped   Reason = iota // no mapping holds the address
	NotDumped                 // mapped, but the core has no bytes and no file backs them
	FileMissing               // file-backed, but the file could not be opened
	ProtNone                  // a PROT_NONE mapping (a guard page): nothing to read
	Truncated                 // the core claims the bytes but ends before them
	FileShort                 // the backing file ends before the mapping does
)

var reasonNames = [...]string{
	NotMapped:   "not mapped",
	NotDumped:   "mapped but not dumped in the core",
	FileMissing: "file-backed and the file is not available",
	ProtNone:    "PROT_NONE mapping",
	Truncated:   "core file is truncated",
	FileShort:   "backing file is shorter than the mapping",
}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// MemoryError reports an address whose bytes cannot be read, which mapping
// holds it (nil if none) and why.
type MemoryError struct {
	Addr    uint64
	Mapping *Mapping
	Reason  Reason
}

func (e *MemoryError) Error() string {
	if e.Mapping == nil {
		return fmt.Sprintf("read %#x: %s", e.Addr, e.Reason)
	}
	name := e.Mapping.File
	if name == "" {
		name = "anonymous"
	}
	return fmt.Sprintf("read %#x: %s (mapping %#x-%#x %s %s)", e.Addr, e.Reason,
		e.Mapping.Start, e.Mapping.End, e.Mapping.Perm, name)
}
