package analyze

import (
	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/stackmap"
)

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
	crashed := a.s.Core.CrashedThread()
	var st *stackmap.Stack
	for i, t := range a.s.Core.Threads {
		if t == crashed {
			st = a.stacks[i]
		}
	}
	if st == nil || len(st.Frames) == 0 {
		return nil, false
	}
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
		return nil, false
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
