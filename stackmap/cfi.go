package stackmap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/go-delve/delve/pkg/dwarf/frame"
	"github.com/go-delve/delve/pkg/dwarf/op"
)

// CFI holds the call frame information of one module: the FDEs of its
// .eh_frame and .debug_frame, keyed by link-time address.
type CFI struct {
	eh, debug frame.FrameDescriptionEntries

	mu    sync.Mutex
	cache map[uint64]*rowCacheEntry // rows by link-time PC
}

type rowCacheEntry struct {
	fc  *frame.FrameContext
	fde *frame.FrameDescriptionEntry
}

// NewCFI parses the .eh_frame section (whose bytes are ehFrame, at
// link-time address ehFrameAddr) and the .debug_frame section. Either may be
// nil. A section that fails to parse is dropped and reported in the error;
// the CFI of the other is still usable.
func NewCFI(ehFrame []byte, ehFrameAddr uint64, debugFrame []byte) (*CFI, error) {
	c := &CFI{cache: map[uint64]*rowCacheEntry{}}
	var errs []error
	if len(ehFrame) > 0 {
		fdes, err := parseFrames(ehFrame, ehFrameAddr)
		if err != nil {
			errs = append(errs, fmt.Errorf(".eh_frame: %w", err))
		}
		c.eh = fdes
	}
	if len(debugFrame) > 0 {
		fdes, err := parseFrames(debugFrame, 0)
		if err != nil {
			errs = append(errs, fmt.Errorf(".debug_frame: %w", err))
		}
		c.debug = fdes
	}
	return c, errors.Join(errs...)
}

// parseFrames runs delve's parser, which panics on some malformed input;
// the panic is turned into an error here, at the boundary.
func parseFrames(data []byte, ehFrameAddr uint64) (fdes frame.FrameDescriptionEntries, err error) {
	defer func() {
		if r := recover(); r != nil {
			fdes, err = nil, fmt.Errorf("malformed call frame information: %v", r)
		}
	}()
	parsed, err := frame.Parse(data, binary.LittleEndian, 0, 8, ehFrameAddr)
	if err != nil {
		return nil, err
	}
	// FDEForPC binary-searches, so the entries must be sorted; Append
	// sorts them and drops duplicates.
	return frame.FrameDescriptionEntries(nil).Append(parsed), nil
}

// row returns the CFI row in effect at link-time address pc.
func (c *CFI) row(pc uint64) (*frame.FrameContext, *frame.FrameDescriptionEntry, error) {
	c.mu.Lock()
	e, ok := c.cache[pc]
	c.mu.Unlock()
	if ok {
		if e == nil {
			return nil, nil, errNoFDE
		}
		return e.fc, e.fde, nil
	}
	fde, err := c.eh.FDEForPC(pc)
	if err != nil {
		fde, err = c.debug.FDEForPC(pc)
	}
	if err != nil {
		c.store(pc, nil)
		return nil, nil, errNoFDE
	}
	fc, err := establish(fde, pc)
	if err != nil {
		return nil, nil, err
	}
	c.store(pc, &rowCacheEntry{fc, fde})
	return fc, fde, nil
}

func (c *CFI) store(pc uint64, e *rowCacheEntry) {
	c.mu.Lock()
	c.cache[pc] = e
	c.mu.Unlock()
}

var errNoFDE = errors.New("no FDE covers the address")

func establish(fde *frame.FrameDescriptionEntry, pc uint64) (fc *frame.FrameContext, err error) {
	defer func() {
		if r := recover(); r != nil {
			fc, err = nil, fmt.Errorf("malformed CFA program in FDE at %#x: %v", fde.Begin(), r)
		}
	}()
	return fde.EstablishFrame(pc)
}

// FDERange returns the link-time range [begin, end) of the FDE covering pc.
func (c *CFI) FDERange(pc uint64) (begin, end uint64, ok bool) {
	_, fde, err := c.row(pc)
	if err != nil {
		return 0, 0, false
	}
	return fde.Begin(), fde.End(), true
}

// step computes the caller's registers from the row in effect at lookupPC.
// It returns the CFA and whether the return address is undefined (the
// outermost frame: _start and clone mark it so).
func (c *CFI) step(lookupPC uint64, regs *Regs, mem Memory) (next Regs, cfa uint64, outermost bool, err error) {
	fc, _, err := c.row(lookupPC)
	if err != nil {
		return next, 0, false, err
	}
	switch fc.CFA.Rule {
	case frame.RuleCFA:
		base, ok := regs.Get(int(fc.CFA.Reg))
		if !ok {
			return next, 0, false, fmt.Errorf("CFA register %d is unknown", fc.CFA.Reg)
		}
		cfa = base + uint64(fc.CFA.Offset)
	case frame.RuleExpression:
		v, err := evalExpr(fc.CFA.Expression, regs, mem, 0)
		if err != nil {
			return next, 0, false, fmt.Errorf("CFA expression: %w", err)
		}
		cfa = v
	default:
		return next, 0, false, fmt.Errorf("unsupported CFA rule %d", fc.CFA.Rule)
	}
	ra := fc.RetAddrReg
	if rule, ok := fc.Regs[ra]; ok && rule.Rule == frame.RuleUndefined {
		return next, cfa, true, nil
	}
	for n := 0; n < numRegs; n++ {
		if n == RSP {
			continue
		}
		rule, ok := fc.Regs[uint64(n)]
		if !ok {
			// No rule: callee-saved registers keep their value (the
			// psABI's "same value" default, which gdb applies too).
			if v, ok := regs.Get(n); ok && n != RIP {
				next.Set(n, v)
			}
			continue
		}
		v, known, err := applyRule(rule, cfa, regs, mem)
		if err != nil {
			if n == int(ra) {
				return next, cfa, false, err
			}
			continue
		}
		if known {
			next.Set(n, v)
		}
	}
	if ra != RIP {
		if v, ok := next.Get(int(ra)); ok {
			next.Set(RIP, v)
		}
	}
	if _, ok := next.Get(RIP); !ok {
		return next, cfa, false, fmt.Errorf("no rule recovers the return address")
	}
	// The caller's stack pointer is the CFA (x86-64 psABI: the value of
	// rsp before the call instruction pushed the return address).
	next.Set(RSP, cfa)
	return next, cfa, false, nil
}

func applyRule(rule frame.DWRule, cfa uint64, regs *Regs, mem Memory) (uint64, bool, error) {
	switch rule.Rule {
	case frame.RuleUndefined:
		return 0, false, nil
	case frame.RuleSameVal:
		return 0, false, nil
	case frame.RuleOffset:
		v, err := readWord(mem, cfa+uint64(rule.Offset))
		return v, err == nil, err
	case frame.RuleValOffset:
		return cfa + uint64(rule.Offset), true, nil
	case frame.RuleRegister:
		v, ok := regs.Get(int(rule.Reg))
		return v, ok, nil
	case frame.RuleExpression:
		addr, err := evalExpr(rule.Expression, regs, mem, cfa)
		if err != nil {
			return 0, false, err
		}
		v, err := readWord(mem, addr)
		return v, err == nil, err
	case frame.RuleValExpression:
		v, err := evalExpr(rule.Expression, regs, mem, cfa)
		return v, err == nil, err
	}
	return 0, false, fmt.Errorf("unsupported register rule %d", rule.Rule)
}

// evalExpr evaluates a DWARF expression with delve's evaluator. For
// register rules (DW_CFA_expression) the CFA is pushed first, as the DWARF
// 5 spec (6.4.2.3) requires.
func evalExpr(expr []byte, regs *Regs, mem Memory, cfa uint64) (v uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed DWARF expression: %v", r)
		}
	}()
	dregs := make([]*op.DwarfRegister, numRegs)
	for n := 0; n < numRegs; n++ {
		if val, ok := regs.Get(n); ok {
			dregs[n] = &op.DwarfRegister{Uint64Val: val}
		}
	}
	dr := op.NewDwarfRegisters(0, dregs, binary.LittleEndian, RIP, RSP, RBP, 0)
	dr.CFA = int64(cfa)
	if cfa != 0 {
		// DW_OP_call_frame_cfa is how expressions name the CFA; delve
		// reads it from dr.CFA. Also push it for DW_CFA_expression.
		expr = append([]byte{byte(op.DW_OP_call_frame_cfa)}, expr...)
	}
	read := func(buf []byte, addr uint64) (int, error) { return mem.ReadAt(buf, addr) }
	res, pieces, err := op.ExecuteStackProgram(*dr, expr, 8, read)
	if err != nil {
		return 0, err
	}
	if len(pieces) > 0 {
		return 0, errors.New("expression yields a composite location")
	}
	return uint64(res), nil
}
