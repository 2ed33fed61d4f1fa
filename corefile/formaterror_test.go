package corefile

import "testing"

// TestFormatErrorShape: "WHERE at offset OFF: WHAT 'VALUE'", the shape
// stackmap's and symbolize's FormatError share.
func TestFormatErrorShape(t *testing.T) {
	e := &FormatError{Off: 0x40, Msg: "NT_FILE is too short", Val: 12, Err: ErrNotCore}
	if got, want := e.Error(), "core file at offset 0x40: NT_FILE is too short '12'"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
