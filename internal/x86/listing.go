package x86

import (
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Line is one instruction of a listing.
type Line struct {
	Addr  uint64 // runtime address of its first byte
	Bytes []byte
	// Text is the instruction in Intel syntax, branch targets symbolized
	// when the caller's Symbolizer names them; "(bad)" for bytes that do
	// not decode (objdump's word), one byte at a time.
	Text    string
	Current bool // the instruction at the PC the listing is for
}

// Symbolizer names the code at a runtime address: the symbol holding it
// and the symbol's start, or ok false.
type Symbolizer func(addr uint64) (name string, start uint64, ok bool)

// MaxListingSpan caps how far before the PC a listing decodes from: a
// function's start further away than that is not trusted (a stale or
// wrong symbol), and nothing is listed.
const MaxListingSpan = 256 << 10

// maxInstLen is the longest x86-64 instruction (Intel SDM vol. 2, 2.3.11).
const maxInstLen = 15

// Listing decodes the instructions around pc, up to before of them ahead
// of it and after behind it, starting at start: the start of the function
// (or the nearest symbol) holding pc, so that each instruction begins
// where the processor's would. x86 code cannot be decoded backwards;
// decoding forward from a real boundary is what makes the ones before pc
// real. ok is false when start is after pc or too far before it, when the
// bytes cannot be read, or when the decoding runs over pc without landing
// on it: then pc is not on an instruction boundary as seen from start.
func Listing(r interface {
	ReadAt(p []byte, addr uint64) (int, error)
}, start, pc uint64, before, after int, sym Symbolizer) ([]Line, bool) {
	if start > pc || pc-start > MaxListingSpan || before < 0 || after < 0 {
		return nil, false
	}
	end := pc + uint64(after+1)*maxInstLen
	code := make([]byte, end-start)
	n, _ := r.ReadAt(code, start)
	if uint64(n) <= pc-start {
		return nil, false
	}
	code = code[:n]
	var ring []Line // the last `before` instructions ahead of pc
	var out []Line
	addr := start
	for addr < pc {
		l := decode(code[addr-start:], addr, sym)
		if len(ring) == before && before > 0 {
			ring = ring[1:]
		}
		if before > 0 {
			ring = append(ring, l)
		}
		addr += uint64(len(l.Bytes))
	}
	if addr != pc {
		return nil, false
	}
	out = append(out, ring...)
	for i := 0; i <= after && addr-start < uint64(len(code)); i++ {
		l := decode(code[addr-start:], addr, sym)
		l.Current = i == 0
		out = append(out, l)
		addr += uint64(len(l.Bytes))
	}
	return out, true
}

// decode decodes one instruction at the start of b, or one "(bad)" byte.
func decode(b []byte, addr uint64, sym Symbolizer) Line {
	inst, err := Decode(b)
	// x86asm can claim a length past the bytes it was given (a prefix
	// run at the end of the buffer): that is no instruction either.
	if err != nil || inst.Len == 0 || inst.Len > len(b) {
		return Line{Addr: addr, Bytes: append([]byte(nil), b[0]), Text: "(bad)"}
	}
	var names x86asm.SymLookup
	if sym != nil {
		names = func(a uint64) (string, uint64) {
			name, base, ok := sym(a)
			if !ok {
				return "", 0
			}
			return name, base
		}
	}
	text := x86asm.IntelSyntax(inst, addr, names)
	if inst.Op == x86asm.LEA {
		// lea computes an address and reads nothing: no operand size,
		// as objdump and gdb print it ("lea rbx, [rsp+0x20]").
		text = strings.Replace(text, " ptr [", " [", 1)
	}
	return Line{Addr: addr, Bytes: append([]byte(nil), b[:inst.Len]...), Text: text}
}
