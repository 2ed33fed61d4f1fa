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
	err := execCFA(c, c.initial, &init, nil, ^uint64(0), 0)
	cur := init
	if err == nil {
		err = execCFA(c, f.insns, &cur, &init, pc, f.begin)
	}
	if err != nil {
		return row{}, fmt.Errorf(".eh_frame FDE at offset %#x for %#x-%#x: %w", f.off, f.begin, f.end, err)
	}
	return cur, nil
}

// execCFA runs instructions on r. Execution stops before an advance that
// would move the location past pc. init is the row DW_CFA_restore
// returns to (nil while running the CIE's own instructions).
func execCFA(c *cie, insns []byte, r *row, init *row, pc, loc uint64) error {
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
	advance := func(delta uint64) bool {
		loc += delta * c.codeAlign
		return loc > pc
	}
	for rd.off < len(rd.b) && rd.err == nil {
		at = rd.off
		op := rd.u8()
		switch op & 0xc0 {
		case cfaAdvanceLoc:
			if advance(uint64(op & 0x3f)) {
				return nil
			}
			continue
		case cfaOffset:
			setReg(uint64(op&0x3f), regRule{kind: ruleOffset, off: int64(rd.uleb()) * c.dataAlign})
			continue
		case cfaRestore:
			n := uint64(op & 0x3f)
			if init != nil && n < numRegs {
				r.regs[n] = init.regs[n]
			}
			continue
		}
		switch op {
		case cfaNop:
		case cfaSetLoc:
			loc = rd.u64()
			if loc > pc {
				return nil
			}
		case cfaAdvanceLoc1:
			if advance(uint64(rd.u8())) {
				return nil
			}
		case cfaAdvanceLoc2:
			if advance(uint64(rd.u16())) {
				return nil
			}
		case cfaAdvanceLoc4:
			if advance(uint64(rd.u32())) {
				return nil
			}
		case cfaOffsetExtended:
			n := rd.uleb()
			setReg(n, regRule{kind: ruleOffset, off: int64(rd.uleb()) * c.dataAlign})
		case cfaOffsetExtendedSF:
			n := rd.uleb()
			setReg(n, regRule{kind: ruleOffset, off: rd.sleb() * c.dataAlign})
		case cfaValOffset:
			n := rd.uleb()
			setReg(n, regRule{kind: ruleValOffset, off: int64(rd.uleb()) * c.dataAlign})
		case cfaValOffsetSF:
			n := rd.uleb()
			setReg(n, regRule{kind: ruleValOffset, off: rd.sleb() * c.dataAlign})
		case cfaRestoreExtended:
			n := rd.uleb()
			if init != nil && n < numRegs {
				r.regs[n] = init.regs[n]
			}
		case cfaUndefined:
			setReg(rd.uleb(), regRule{kind: ruleUndefined})
		case cfaSameValue:
			setReg(rd.uleb(), regRule{kind: ruleSame})
		case cfaRegister:
			n := rd.uleb()
			setReg(n, regRule{kind: ruleRegister, reg: uint16(rd.uleb())})
		case cfaRememberState:
			if len(stack) >= maxRememberDepth {
				return bad(fmt.Sprintf("DW_CFA_remember_state nested deeper than %d", maxRememberDepth), nil)
			}
			stack = append(stack, *r)
		case cfaRestoreState:
			if len(stack) == 0 {
				return bad("DW_CFA_restore_state without remember_state", nil)
			}
			// The CFA rule is restored too (DWARF 5 6.4.2.4).
			*r = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		case cfaDefCFA:
			r.cfaReg, r.cfaOff, r.cfaExpr = rd.uleb(), int64(rd.uleb()), nil
		case cfaDefCFASF:
			r.cfaReg = rd.uleb()
			r.cfaOff, r.cfaExpr = rd.sleb()*c.dataAlign, nil
		case cfaDefCFARegister:
			r.cfaReg, r.cfaExpr = rd.uleb(), nil
		case cfaDefCFAOffset:
			r.cfaOff = int64(rd.uleb())
		case cfaDefCFAOffsetSF:
			r.cfaOff = rd.sleb() * c.dataAlign
		case cfaDefCFAExpression:
			r.cfaExpr = rd.bytes(rd.uleb())
			if r.cfaExpr == nil {
				r.cfaExpr = []byte{}
			}
		case cfaExpression:
			n := rd.uleb()
			setReg(n, regRule{kind: ruleExpr, expr: rd.bytes(rd.uleb())})
		case cfaValExpression:
			n := rd.uleb()
			setReg(n, regRule{kind: ruleValExpr, expr: rd.bytes(rd.uleb())})
		case cfaGNUArgsSize:
			rd.uleb()
		case cfaGNUNegOffsetExt:
			n := rd.uleb()
			setReg(n, regRule{kind: ruleOffset, off: -int64(rd.uleb()) * c.dataAlign})
		default:
			return bad("unknown opcode", hex(op))
		}
	}
	if rd.err != nil {
		return bad(fmt.Sprintf("operand of opcode %#x: %v", insns[at], rd.err), nil)
	}
	return nil
}
