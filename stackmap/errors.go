package stackmap

import "fmt"

// FormatError records where call frame information failed to decode, as
// debug/elf's FormatError does for ELF files: the bytes it was reading
// (a section, or a CFA program or DWARF expression inside one), the offset
// in them, what was wrong and the offending value.
type FormatError struct {
	Section string // ".eh_frame", ".eh_frame_hdr", "CIE initial instructions", "FDE instructions", "DWARF expression"
	Off     int64  // offset in Section
	Msg     string // what was wrong
	Val     any    // the offending value, if any
	Err     error  // the cause, if any: errTruncated, errCFAProgram, a nested FormatError
}

// Error writes the error in the shape all of coreview's decoders share
// (corefile's and symbolize's FormatError too): "WHERE at offset OFF:
// WHAT 'VALUE'", then ": CAUSE" when it has one.
func (e *FormatError) Error() string {
	s := fmt.Sprintf("%s at offset %#x: %s", e.Section, e.Off, e.Msg)
	if e.Val != nil {
		s += fmt.Sprintf(" '%v'", e.Val)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause, so errors.Is and errors.As see through.
func (e *FormatError) Unwrap() error { return e.Err }

// hex prints a value of a FormatError in hexadecimal.
type hex uint64

func (h hex) String() string { return fmt.Sprintf("%#x", uint64(h)) }
