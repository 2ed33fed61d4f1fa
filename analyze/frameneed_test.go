package analyze

import (
	"testing"

	"github.com/coreview/coreview/stackmap"
)

// TestFrameSizePrecedence pins frameNeed's choice between its witnesses:
// an exact CFI wins over the prologue when they differ; a complete
// prologue wins over a CFI that stops at a frame pointer; with two lower
// bounds the larger is taken, and a lower bound never wins over a witness
// that exceeds it.
func TestFrameSizePrecedence(t *testing.T) {
	complete := func(n int64) *stackmap.Prologue { return &stackmap.Prologue{Size: n, Complete: true} }
	partial := func(n int64) *stackmap.Prologue { return &stackmap.Prologue{Size: n} }
	for _, tt := range []struct {
		name              string
		cfiSize           int64
		cfiOK, cfiPartial bool
		pro               *stackmap.Prologue
		wantSize          int64
		wantHow           string
	}{
		{"both exact and agreeing", 0x528, true, false, complete(0x528), 0x528, "prologue+cfi"},
		// Arguments pushed for a call in the body: only the CFI sees them.
		{"exact CFI above a complete prologue", 0x540, true, false, complete(0x528), 0x540, "cfi"},
		// A shrink-wrapped prologue's later pushes: the decoder stopped
		// at the early-exit test, the CFI has them.
		{"exact CFI below a complete prologue", 0x18, true, false, complete(0x28), 0x18, "cfi"},
		{"exact CFI, prologue stopped early", 0x1040, true, false, partial(0x40), 0x1040, "cfi"},
		{"exact CFI, no code", 0x30, true, false, nil, 0x30, "cfi"},
		// mov rbp,rsp moved the CFA off rsp: the CFI stops at 16.
		{"frame pointer: complete prologue", 16, true, true, complete(0x528), 0x528, "prologue"},
		{"frame pointer: both lower bounds, prologue larger", 16, true, true, partial(0x100), 0x100, "lower-bound"},
		{"frame pointer: both lower bounds, CFI larger", 0x200, true, true, partial(0x100), 0x200, "lower-bound"},
		{"frame pointer: complete prologue below the CFI's bound", 0x200, true, true, complete(0x100), 0x200, "lower-bound"},
		{"no CFI: complete prologue", 0, false, false, complete(0x48), 0x48, "prologue"},
		{"no CFI: prologue stopped early", 0, false, false, partial(0x48), 0x48, "lower-bound"},
		{"no witness", 0, false, false, nil, 0, ""},
	} {
		size, how := frameSize(tt.cfiSize, tt.cfiOK, tt.cfiPartial, tt.pro)
		if size != tt.wantSize || how != tt.wantHow {
			t.Errorf("%s: %#x %q, want %#x %q", tt.name, size, how, tt.wantSize, tt.wantHow)
		}
	}
}
