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

func (e *FormatError) Error() string {
	msg := e.Msg
	if e.Val != nil {
		msg += fmt.Sprintf(" '%v'", e.Val)
	}
	return fmt.Sprintf("%s entry at file offset %#x: %s", e.Section, e.Off, msg)
}
