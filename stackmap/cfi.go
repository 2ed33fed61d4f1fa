package stackmap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/go-delve/delve/pkg/dwarf/op"
)

// CFI holds the call frame information of one module. .eh_frame is read
// lazily through .eh_frame_hdr's search table; .debug_frame (and an
// .eh_frame without a header) is indexed by one walk over its entries.
// Every CFA program runs through one interpreter, execCFA. Rows are cached
// per PC: a recursion visits the same few PCs thousands of times.
type CFI struct {
	eh     *ehFrame
	tables []*fdeTable // searched in order after eh
	mu     sync.Mutex
	cache  map[uint64]*cfiRow
}

type cfiRow struct {
	row   row
	begin uint64
	end   uint64
	// The CIE and the FDE's program, for FrameInfo.
	cie   *cie
	insns []byte
	err   error
}

// Sections are a module's call frame information sections, with their
// link-time addresses.
type Sections struct {
	EHFrame        []byte
	EHFrameAddr    uint64
	EHFrameHdr     []byte
	EHFrameHdrAddr uint64
	DebugFrame     []byte
}

// NewCFI prepares a module's call frame information. A section that fails
// to parse is dropped (or, when only some of its entries are broken, kept
// without them) and reported in the error; the others stay usable.
func NewCFI(s Sections) (*CFI, error) {
	c := &CFI{cache: map[uint64]*cfiRow{}}
	var errs []error
	if len(s.EHFrame) > 0 && len(s.EHFrameHdr) > 0 {
		eh, err := newEHFrame(s.EHFrame, s.EHFrameAddr, s.EHFrameHdr, s.EHFrameHdrAddr)
		if err != nil {
			errs = append(errs, err)
		}
		c.eh = eh
	}
	if len(s.EHFrame) > 0 && c.eh == nil {
		t, err := newFDETable(newFrameSection(".eh_frame", s.EHFrame, s.EHFrameAddr))
		if err != nil {
			errs = append(errs, err)
		}
		c.tables = append(c.tables, t)
	}
	if len(s.DebugFrame) > 0 {
		t, err := newFDETable(newFrameSection(".debug_frame", s.DebugFrame, 0))
		if err != nil {
			errs = append(errs, err)
		}
		c.tables = append(c.tables, t)
	}
	return c, errors.Join(errs...)
}

var errNoFDE = errors.New("no FDE covers the address")

// lookup returns the CFI row in effect at link-time address pc.
func (c *CFI) lookup(pc uint64) *cfiRow {
	c.mu.Lock()
	e, ok := c.cache[pc]
	c.mu.Unlock()
	if ok {
		return e
	}
	e = c.compute(pc)
	c.mu.Lock()
	c.cache[pc] = e
	c.mu.Unlock()
	return e
}

func (c *CFI) compute(pc uint64) *cfiRow {
	found := func(f *fde) *cfiRow {
		r, err := runCFA(f.cie, f, pc)
		return &cfiRow{row: r, begin: f.begin, end: f.end, cie: f.cie, insns: f.insns, err: err}
	}
	if c.eh != nil {
		c.mu.Lock() // the CIE cache is not safe for concurrent use
		f, err := c.eh.find(pc)
		c.mu.Unlock()
		if err == nil {
			return found(f)
		}
		if !errors.Is(err, errNoFDE) {
			return &cfiRow{err: err}
		}
	}
	for _, t := range c.tables {
		c.mu.Lock()
		f, err := t.find(pc)
		c.mu.Unlock()
		if err == nil {
			return found(f)
		}
		if !errors.Is(err, errNoFDE) {
			return &cfiRow{err: err}
		}
	}
	return &cfiRow{err: errNoFDE}
}

// step computes the caller's registers from the row in effect at lookupPC.
// It returns the CFA and whether the return address is undefined (the
// outermost frame: _start and clone mark it so).
func (c *CFI) step(lookupPC uint64, regs *Regs, mem Memory) (next Regs, cfa uint64, outermost bool, err error) {
	return c.lookup(lookupPC).step(regs, mem)
}

// step applies the row's rules to the callee's registers.
func (e *cfiRow) step(regs *Regs, mem Memory) (next Regs, cfa uint64, outermost bool, err error) {
	if e.err != nil {
		return next, 0, false, e.err
	}
	r := &e.row
	if r.cfaExpr != nil {
		v, err := evalExpr(r.cfaExpr, regs, mem, 0)
		if err != nil {
			return next, 0, false, fmt.Errorf("CFA expression: %w", err)
		}
		cfa = v
	} else {
		base, ok := regs.Get(int(r.cfaReg))
		if !ok {
			return next, 0, false, fmt.Errorf("CFA register %d is unknown", r.cfaReg)
		}
		cfa = base + uint64(r.cfaOff)
	}
	ra := r.raReg
	if ra < numRegs && r.regs[ra].kind == ruleUndefined {
		return next, cfa, true, nil
	}
	for n := 0; n < numRegs; n++ {
		if n == RSP {
			continue
		}
		rule := r.regs[n]
		if rule.kind == ruleUnset {
			// No rule: callee-saved registers keep their value (the
			// psABI's "same value" default, which gdb applies too).
			if v, ok := regs.Get(n); ok && n != RIP {
				next.Set(n, v)
			}
			continue
		}
		v, known, err := applyRule(rule, cfa, regs, mem, n)
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

func applyRule(rule regRule, cfa uint64, regs *Regs, mem Memory, n int) (uint64, bool, error) {
	switch rule.kind {
	case ruleUndefined:
		return 0, false, nil
	case ruleSame:
		v, ok := regs.Get(n)
		return v, ok, nil
	case ruleOffset:
		v, err := readWord(mem, cfa+uint64(rule.off))
		return v, err == nil, err
	case ruleValOffset:
		return cfa + uint64(rule.off), true, nil
	case ruleRegister:
		v, ok := regs.Get(int(rule.reg))
		return v, ok, nil
	case ruleExpr:
		addr, err := evalExpr(rule.expr, regs, mem, cfa)
		if err != nil {
			return 0, false, err
		}
		v, err := readWord(mem, addr)
		return v, err == nil, err
	case ruleValExpr:
		v, err := evalExpr(rule.expr, regs, mem, cfa)
		return v, err == nil, err
	}
	return 0, false, fmt.Errorf("unsupported register rule %d", rule.kind)
}

// evalExpr evaluates a DWARF expression with delve's evaluator. For
// register rules (DW_CFA_expression) the CFA is pushed first, as the DWARF
// 5 spec (6.4.2.3) requires.
func evalExpr(expr []byte, regs *Regs, mem Memory, cfa uint64) (v uint64, err error) {
	if err := checkExpr(expr); err != nil {
		return 0, err
	}
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
