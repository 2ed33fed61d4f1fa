package symbolize

import "fmt"

// FormatError records where in a module's file a structure is malformed, as
// debug/elf's FormatError does: the section, the file offset of the broken
// entry, what was wrong and the offending value.
type FormatError struct {
	Section string // such as ".symtab"
	Off     uint64 // file offset of the entry
	Msg     string
	Val     any
}

// Error writes the error in the shape all of coreview's decoders share
// (corefile's and stackmap's FormatError too): "WHERE at offset OFF:
// WHAT 'VALUE'", the offset being the broken entry's in the file.
func (e *FormatError) Error() string {
	s := fmt.Sprintf("%s at offset %#x: %s", e.Section, e.Off, e.Msg)
	if e.Val != nil {
		s += fmt.Sprintf(" '%v'", e.Val)
	}
	return s
}
