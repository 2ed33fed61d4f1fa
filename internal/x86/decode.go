package x86

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

// Decode decodes the 64-bit instruction at the start of code. It is
// x86asm.Decode made safe for untrusted bytes: x/arch v0.28 indexes past
// the end of a truncated EVEX prefix (62 30 30 30 panics in decodeAVX), and
// code read from a core is whatever the core holds. A panic becomes an
// error here, at the boundary.
func Decode(code []byte) (inst x86asm.Inst, err error) {
	defer func() {
		if r := recover(); r != nil {
			inst, err = x86asm.Inst{}, fmt.Errorf("x86: undecodable instruction % x: %v", code[:min(len(code), 15)], r)
		}
	}()
	return x86asm.Decode(code, 64)
}
