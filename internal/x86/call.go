// Package x86 answers the questions coreview asks about x86-64 machine code:
// does a call instruction end at this return address, and where does it
// go; what address an instruction's memory operand names, given the
// registers it ran with, and how to say so. It sits below stackmap and
// analyze so that the unwinder's checks and the diagnoses' explanations
// ask one rule and cannot disagree.
//
// Input is code bytes (or a Reader over a process's memory) and runtime
// addresses; decoding is golang.org/x/arch/x86/x86asm's.
package x86

import (
	"golang.org/x/arch/x86/x86asm"
)

// Reader reads a process's memory at runtime addresses.
type Reader interface {
	ReadAt(p []byte, addr uint64) (int, error)
}

// MaxCallLen is the longest call instruction CallBefore considers: a REX
// prefix, ff /2, ModRM, SIB and a 32-bit displacement (call qword ptr
// [r12+rax*8+disp32], 41 ff 94 c4 xx xx xx xx). Direct calls are 5 bytes
// (e8 rel32), 6 with a bnd prefix.
const MaxCallLen = 8

// minCallLen is the shortest call: ff d0, call rax.
const minCallLen = 2

// Call is a call instruction that ends at a return address.
type Call struct {
	Addr uint64 // runtime address of the call's first byte: ra - Len
	Len  int
	Inst x86asm.Inst
	// Direct is set for call rel32; Target is then where it goes.
	Direct bool
	Target uint64
}

// CallBefore reports whether a call instruction ends exactly at return
// address ra, and decodes it. The bytes before ra are ambiguous (x86 cannot
// be decoded backwards), so every start from MaxCallLen bytes before ra to
// 2 bytes before is decoded, and the longest one that decodes as a near
// CALL of exactly that length wins. A byte pattern that merely looks like a
// call (ff with reg field 2) but decodes to a different length does not
// count: ff d0 followed by five more bytes is a 2-byte call rax that ends 5
// bytes before ra, not a call that ends at ra.
func CallBefore(mem Reader, ra uint64) (Call, bool) {
	var b [MaxCallLen]byte
	if ra >= MaxCallLen {
		if n, err := mem.ReadAt(b[:], ra-MaxCallLen); err == nil && n == len(b) {
			return CallEndingAt(b[:], ra)
		}
	}
	// Near the start of a mapping (or of the address space) the whole
	// window is not readable; try the shorter windows that are.
	for l := MaxCallLen - 1; l >= minCallLen; l-- {
		if ra < uint64(l) {
			continue
		}
		if n, err := mem.ReadAt(b[:l], ra-uint64(l)); err == nil && n == l {
			return CallEndingAt(b[:l], ra)
		}
	}
	return Call{}, false
}

// CallEndingAt is CallBefore on bytes already read: code holds the bytes
// just before ra (its last byte is at ra-1).
func CallEndingAt(code []byte, ra uint64) (Call, bool) {
	if len(code) > MaxCallLen {
		code = code[len(code)-MaxCallLen:]
	}
	for l := len(code); l >= minCallLen; l-- {
		if ra < uint64(l) {
			continue
		}
		inst, err := Decode(code[len(code)-l:])
		if err != nil || inst.Op != x86asm.CALL || inst.Len != l {
			continue
		}
		c := Call{Addr: ra - uint64(l), Len: l, Inst: inst}
		if rel, ok := inst.Args[0].(x86asm.Rel); ok {
			// rel32 counts from the next instruction, which is ra.
			c.Direct, c.Target = true, ra+uint64(int64(rel))
		}
		return c, true
	}
	return Call{}, false
}
