package stackmap

import (
	"errors"
	"fmt"
)

// ruleKind is how a register's value in the caller is recovered (DWARF 5,
// 6.4.1 "Structure of Call Frame Information").
type ruleKind uint8

const (
	ruleUnset     ruleKind = iota // no rule: same value (callee-saved)
	ruleUndefined                 // not recoverable
	ruleSame                      // same value
	ruleOffset                    // saved at CFA+off
	ruleValOffset                 // the value is CFA+off
	ruleRegister                  // in register reg
	ruleExpr                      // saved at the address expr computes
	ruleValExpr                   // the value expr computes
)

type regRule struct {
	kind ruleKind
	reg  uint16
	off  int64
	expr []byte
}

// row is one row of the CFI table: how to find the CFA and each register.
type row struct {
	cfaReg  uint64
	cfaOff  int64
	cfaExpr []byte // non-nil: the CFA is this expression's value
	regs    [numRegs]regRule
	raReg   uint64
	signal  bool // the FDE's CIE has the 'S' augmentation
}

// maxRememberDepth bounds DW_CFA_remember_state nesting.
const maxRememberDepth = 64

var errCFAProgram = errors.New("malformed CFA program")

// runCFA executes a CIE's initial instructions and then an FDE's, up to
// and including the row that covers link-time pc.
func runCFA(c *cie, f *fde, pc uint64) (row, error) {
	var init row
	init.raReg = c.raReg
	init.signal = c.signal
	err := execCFA(c, c.initial, &init, nil, ^uint64(0), 0, nil)
	cur := init
	if err == nil {
		err = execCFA(c, f.insns, &cur, &init, pc, f.begin, nil)
	}
	if err != nil {
		return row{}, fmt.Errorf("%s FDE at offset %#x for %#x-%#x: %w", f.section, f.off, f.begin, f.end, err)
	}
	return cur, nil
}

// execCFA is the interpreter of call frame instructions: it runs insns on
// r, and stops before an advance that would move the location past pc.
// init is the row DW_CFA_restore returns to (nil while running the CIE's
// own instructions). onCFA, when set, is called after every instruction
// that defines the CFA rule (the DW_CFA_def_cfa family), with the row as
// it then is.
func execCFA(c *cie, insns []byte, r *row, init *row, pc, loc uint64, onCFA func(*row)) error {
	rd := &reader{b: insns}
	var stack []row
	section, at := "FDE instructions", 0 // at: the instruction being run
	if init == nil {
		section = "CIE initial instructions"
	}
	bad := func(msg string, val any) error {
		return &FormatError{Section: section, Off: int64(at), Msg: msg, Val: val, Err: errCFAProgram}
	}
	setReg := func(n uint64, rule regRule) {
		if n < numRegs {
			r.regs[n] = rule
		}
	}
	restore := func(n uint64) {
		if init != nil && n < numRegs {
			r.regs[n] = init.regs[n]
		}
	}
	for rd.off < len(rd.b) {
		at = rd.off
		in, err := decodeCFA(rd)
		var unknown errUnknownOpcode
		if errors.As(err, &unknown) {
			return bad("unknown opcode", hex(in.op))
		}
		if err != nil {
			return bad(fmt.Sprintf("operand of %s: %v", cfaOpName(insns[at]), err), nil)
		}
		switch in.op {
		case DW_CFA_nop:
		case DW_CFA_advance_loc, DW_CFA_advance_loc1, DW_CFA_advance_loc2, DW_CFA_advance_loc4:
			loc += in.u * c.codeAlign
			if loc > pc {
				return nil
			}
		case DW_CFA_set_loc:
			loc = in.u
			if loc > pc {
				return nil
			}
		case DW_CFA_offset, DW_CFA_offset_extended:
			setReg(in.reg, regRule{kind: ruleOffset, off: int64(in.u) * c.dataAlign})
		case DW_CFA_offset_extended_sf:
			setReg(in.reg, regRule{kind: ruleOffset, off: in.s * c.dataAlign})
		case DW_CFA_GNU_negative_offset_extended:
			setReg(in.reg, regRule{kind: ruleOffset, off: -int64(in.u) * c.dataAlign})
		case DW_CFA_val_offset:
			setReg(in.reg, regRule{kind: ruleValOffset, off: int64(in.u) * c.dataAlign})
		case DW_CFA_val_offset_sf:
			setReg(in.reg, regRule{kind: ruleValOffset, off: in.s * c.dataAlign})
		case DW_CFA_restore, DW_CFA_restore_extended:
			restore(in.reg)
		case DW_CFA_undefined:
			setReg(in.reg, regRule{kind: ruleUndefined})
		case DW_CFA_same_value:
			setReg(in.reg, regRule{kind: ruleSame})
		case DW_CFA_register:
			setReg(in.reg, regRule{kind: ruleRegister, reg: uint16(min(in.u, 0xffff))})
		case DW_CFA_expression:
			setReg(in.reg, regRule{kind: ruleExpr, expr: in.expr})
		case DW_CFA_val_expression:
			setReg(in.reg, regRule{kind: ruleValExpr, expr: in.expr})
		case DW_CFA_remember_state:
			if len(stack) >= maxRememberDepth {
				return bad(fmt.Sprintf("DW_CFA_remember_state nested deeper than %d", maxRememberDepth), nil)
			}
			stack = append(stack, *r)
		case DW_CFA_restore_state:
			if len(stack) == 0 {
				return bad("DW_CFA_restore_state without remember_state", nil)
			}
			// The whole row comes back, the CFA rule included (DWARF 5
			// 6.4.2.4: "the rules for all registers and the CFA").
			*r = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		case DW_CFA_def_cfa:
			r.cfaReg, r.cfaOff, r.cfaExpr = in.reg, int64(in.u), nil
		case DW_CFA_def_cfa_sf:
			r.cfaReg, r.cfaOff, r.cfaExpr = in.reg, in.s*c.dataAlign, nil
		case DW_CFA_def_cfa_register:
			r.cfaReg, r.cfaExpr = in.reg, nil
		case DW_CFA_def_cfa_offset:
			r.cfaOff = int64(in.u)
		case DW_CFA_def_cfa_offset_sf:
			r.cfaOff = in.s * c.dataAlign
		case DW_CFA_def_cfa_expression:
			r.cfaExpr = in.expr
		case DW_CFA_GNU_args_size:
		}
		if onCFA != nil && definesCFA(in.op) {
			onCFA(r)
		}
	}
	return nil
}

// definesCFA reports whether op sets the CFA rule.
func definesCFA(op uint8) bool {
	switch op {
	case DW_CFA_def_cfa, DW_CFA_def_cfa_sf, DW_CFA_def_cfa_register, DW_CFA_def_cfa_offset,
		DW_CFA_def_cfa_offset_sf, DW_CFA_def_cfa_expression:
		return true
	}
	return false
}
