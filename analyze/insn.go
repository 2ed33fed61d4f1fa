package analyze

import (
	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/stackmap"
)

// decodeAt decodes the instruction at pc.
func (s *Session) decodeAt(pc uint64) (x86asm.Inst, bool) {
	var b [16]byte
	n, _ := s.Mem.ReadAt(b[:], pc)
	if n == 0 {
		return x86asm.Inst{}, false
	}
	inst, err := x86.Decode(b[:n])
	return inst, err == nil
}

// callBefore finds the call instruction that ends at return address ra,
// by the one rule the unwinder uses too (x86.CallBefore): the instruction,
// and the address it starts at.
func (s *Session) callBefore(ra uint64) (x86asm.Inst, uint64, bool) {
	c, ok := x86.CallBefore(s.Mem, ra)
	return c.Inst, c.Addr, ok
}

// Listing sizes at the crash: mdb's ::dis and gdb's x/i show a screenful;
// this is enough to see the instruction and what set up its operands.
const (
	insnsBefore = 8
	insnsAfter  = 4
)

// crashListing disassembles the crashed thread's code around its PC. When
// the PC is not code (a call through a null or wild pointer), it lists the
// caller around the call that went there instead; callSite is then true.
func (a *analysis) crashListing() (lines []x86.Line, callSite bool) {
	ct := a.crashed()
	if ct == nil || len(ct.stack.Frames) == 0 {
		return nil, false
	}
	st := ct.stack
	pc := st.Frames[0].PC
	if !a.s.Mem.Executable(pc) {
		if len(st.Frames) < 2 || st.Frames[1].Method != stackmap.MethodCall {
			return nil, false
		}
		_, at, ok := a.s.callBefore(st.Frames[1].PC)
		if !ok {
			return nil, false
		}
		pc, callSite = at, true
	}
	start, ok := a.s.code.FuncStart(pc)
	if !ok {
		// No symbol (a stripped module): the FDE's start is a function's
		// first instruction too.
		cfi, bias, found := a.s.code.CFI(pc)
		if !found {
			return nil, false
		}
		fi, found := cfi.FrameInfo(pc - bias)
		if !found {
			return nil, false
		}
		start = fi.Begin + bias
	}
	lines, ok = x86.Listing(a.s.Mem, start, pc, insnsBefore, insnsAfter, a.s.codeSymbol)
	if !ok {
		return nil, false
	}
	return lines, callSite
}

// codeSymbol names the function holding a code address, for branch
// targets in listings.
func (s *Session) codeSymbol(addr uint64) (string, uint64, bool) {
	m := s.Modules.Module(addr)
	if m == nil {
		return "", 0, false
	}
	sym, ok := m.Lookup(m.FileAddr(addr))
	if !ok {
		return "", 0, false
	}
	return s.demangle(sym.Name), sym.Addr + m.Bias, true
}
