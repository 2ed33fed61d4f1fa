package stackmap

import (
	"encoding/binary"
	"fmt"
)

// checkExpr validates a DWARF expression before delve's evaluator
// (pkg/dwarf/op) runs it. That evaluator stops a program after 10 steps
// per byte and then returns whatever is on top of its stack, without an
// error, so a DW_OP_skip or DW_OP_bra that jumps backwards (a loop) would
// give a wrong CFA or register silently; and it allocates DW_OP_implicit_
// value's block at the size the expression claims. So: every operation is
// decoded once, in order (DWARF 5 section 2.5 and 7.7.1, operand sizes);
// only the operations delve evaluates are accepted; every operand must fit;
// and a branch must jump forwards, to the start of an operation or the end.
// No CFI producer emits backward branches (glibc's PLT expressions have no
// branches at all), and with forward branches only, a program ends.
func checkExpr(expr []byte) error {
	r := &reader{b: expr}
	starts := make(map[int]bool, len(expr))
	type branch struct{ at, target int }
	var branches []branch
	bad := func(at int, msg string, val any) error {
		return &FormatError{Section: "DWARF expression", Off: int64(at), Msg: msg, Val: val}
	}
	for r.off < len(expr) {
		at := r.off
		starts[at] = true
		op := r.u8()
		switch {
		case op >= 0x30 && op <= 0x6f: // DW_OP_lit0-31, DW_OP_reg0-31
		case op >= 0x70 && op <= 0x8f: // DW_OP_breg0-31 SLEB128
			r.sleb()
		default:
			switch op {
			case 0x06, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
				0x21, 0x22, 0x24, 0x25, 0x26, 0x27, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x96, 0x9c, 0x9f:
				// deref, dup … xor, eq … ne, nop, call_frame_cfa,
				// stack_value: no operands.
			case 0x08, 0x09, 0x15, 0x94, 0x95: // const1u/s, pick, deref_size, xderef_size
				r.bytes(1)
			case 0x0a, 0x0b: // const2u/s
				r.bytes(2)
			case 0x0c, 0x0d: // const4u/s
				r.bytes(4)
			case 0x03, 0x0e, 0x0f: // addr (8-byte addresses), const8u/s
				r.bytes(8)
			case 0x10, 0x11, 0x23, 0x90, 0x91, 0x93: // constu, consts, plus_uconst, regx, fbreg, piece
				r.uleb()
			case 0x92: // bregx: ULEB128 register, SLEB128 offset
				r.uleb()
				r.sleb()
			case 0x9e: // implicit_value: ULEB128 length, then the block
				r.bytes(r.uleb())
			case 0x28, 0x2f: // bra, skip: a 2-byte signed offset from the next operation
				b := r.bytes(2)
				if b != nil {
					branches = append(branches, branch{at, r.off + int(int16(binary.LittleEndian.Uint16(b)))})
				}
			default:
				return bad(at, "unsupported operation", hex(op))
			}
		}
		if r.err != nil {
			return bad(at, fmt.Sprintf("operand of operation %#x runs past the end", op), nil)
		}
	}
	for _, b := range branches {
		name := "DW_OP_skip"
		if expr[b.at] == 0x28 {
			name = "DW_OP_bra"
		}
		switch {
		case b.target <= b.at:
			return bad(b.at, fmt.Sprintf("%s jumps back to offset %d: the expression could loop", name, b.target), nil)
		case b.target < len(expr) && !starts[b.target]:
			return bad(b.at, fmt.Sprintf("%s jumps into the middle of an operation at offset %d", name, b.target), nil)
		}
	}
	return nil
}
