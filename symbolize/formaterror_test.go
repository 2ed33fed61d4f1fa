package symbolize

import "testing"

// TestFormatErrorShape: "WHERE at offset OFF: WHAT 'VALUE'", the shape
// corefile's and stackmap's FormatError share.
func TestFormatErrorShape(t *testing.T) {
	e := &FormatError{Section: ".symtab", Off: 0x1a0, Msg: "name outside the string table", Val: 99}
	if got, want := e.Error(), ".symtab at offset 0x1a0: name outside the string table '99'"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
