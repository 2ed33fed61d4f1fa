package stackmap

import (
	"encoding/binary"
	"fmt"

	"github.com/go-delve/delve/pkg/dwarf/op"
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
	// Expressions are a few bytes (glibc's PLT ones are 11): keep the
	// bookkeeping on the stack, since a CFA expression is checked each
	// time a frame is stepped with it.
	var startBuf [64]bool
	starts := startBuf[:]
	if len(expr) > len(starts) {
		starts = make([]bool, len(expr))
	}
	type branch struct {
		at, target int
		name       string
	}
	var branchBuf [4]branch
	branches := branchBuf[:0]
	bad := func(at int, msg string, val any) error {
		return &FormatError{Section: "DWARF expression", Off: int64(at), Msg: msg, Val: val}
	}
	for r.off < len(expr) {
		at := r.off
		starts[at] = true
		code := op.Opcode(r.u8())
		switch {
		case code >= op.DW_OP_lit0 && code <= op.DW_OP_reg31: // no operand
		case code >= op.DW_OP_breg0 && code <= op.DW_OP_breg31: // SLEB128 offset
			r.sleb()
		default:
			switch code {
			case op.DW_OP_deref, op.DW_OP_dup, op.DW_OP_drop, op.DW_OP_over, op.DW_OP_swap, op.DW_OP_rot,
				op.DW_OP_xderef, op.DW_OP_abs, op.DW_OP_and, op.DW_OP_div, op.DW_OP_minus, op.DW_OP_mod,
				op.DW_OP_mul, op.DW_OP_neg, op.DW_OP_not, op.DW_OP_or, op.DW_OP_plus, op.DW_OP_shl,
				op.DW_OP_shr, op.DW_OP_shra, op.DW_OP_xor, op.DW_OP_eq, op.DW_OP_ge, op.DW_OP_gt,
				op.DW_OP_le, op.DW_OP_lt, op.DW_OP_ne, op.DW_OP_nop, op.DW_OP_call_frame_cfa,
				op.DW_OP_stack_value:
				// No operands.
			case op.DW_OP_const1u, op.DW_OP_const1s, op.DW_OP_pick, op.DW_OP_deref_size, op.DW_OP_xderef_size:
				r.bytes(1)
			case op.DW_OP_const2u, op.DW_OP_const2s:
				r.bytes(2)
			case op.DW_OP_const4u, op.DW_OP_const4s:
				r.bytes(4)
			case op.DW_OP_addr, op.DW_OP_const8u, op.DW_OP_const8s: // 8-byte addresses
				r.bytes(8)
			case op.DW_OP_constu, op.DW_OP_consts, op.DW_OP_plus_uconst, op.DW_OP_regx, op.DW_OP_fbreg, op.DW_OP_piece:
				r.uleb()
			case op.DW_OP_bregx: // ULEB128 register, SLEB128 offset
				r.uleb()
				r.sleb()
			case op.DW_OP_implicit_value: // ULEB128 length, then the block
				r.bytes(r.uleb())
			case op.DW_OP_bra, op.DW_OP_skip: // a 2-byte signed offset from the next operation
				b := r.bytes(2)
				if b != nil {
					name := "DW_OP_skip"
					if code == op.DW_OP_bra {
						name = "DW_OP_bra"
					}
					branches = append(branches, branch{at, r.off + int(int16(binary.LittleEndian.Uint16(b))), name})
				}
			default:
				return bad(at, "unsupported operation", hex(byte(code)))
			}
		}
		if r.err != nil {
			return bad(at, fmt.Sprintf("operand of operation %#x runs past the end", byte(code)), nil)
		}
	}
	for _, b := range branches {
		switch {
		case b.target <= b.at:
			return bad(b.at, fmt.Sprintf("%s jumps back to offset %d: the expression could loop", b.name, b.target), nil)
		case b.target < len(expr) && !starts[b.target]:
			return bad(b.at, fmt.Sprintf("%s jumps into the middle of an operation at offset %d", b.name, b.target), nil)
		}
	}
	return nil
}
