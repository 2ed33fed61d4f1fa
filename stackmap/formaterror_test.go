package stackmap

import (
	"errors"
	"testing"
)

// TestFormatErrorShape: "WHERE at offset OFF: WHAT 'VALUE': CAUSE", the
// shape corefile's and symbolize's FormatError share.
func TestFormatErrorShape(t *testing.T) {
	e := &FormatError{Section: ".eh_frame", Off: 0x40, Msg: "bad CIE version", Val: 9, Err: errors.New("truncated")}
	if got, want := e.Error(), ".eh_frame at offset 0x40: bad CIE version '9': truncated"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
