package analyze

import (
	"errors"
	"fmt"

	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
	"github.com/coreview/coreview/symbolize"
)

// This file rebuilds tail-call frames as gdb does (gdb/dwarf2/loc.c,
// call_site_find_chain; gdb/dwarf2/frame-tailcall.c). A function that ends
// in a tail call (jmp callee) leaves no frame: its caller's return address
// sits right above the callee's frame. DWARF's call sites say which calls
// and tail calls each function makes; when every path from the caller's
// call site through tail calls to the callee's function agrees on the
// functions in between, those functions are shown as frames, marked
// "tailcall", with the PC just after their tail call.

// errNoChain is any reason a chain cannot be built (gdb's
// NO_ENTRY_VALUE_ERROR): an unknown call site, an indirect target, a
// target function without DWARF. gdb then shows no tail-call frames at
// all, and so does coreview.
var errNoChain = errors.New("no unambiguous tail-call chain")

// maxTailCallSteps bounds the depth-first search over call sites: DWARF
// from a hostile file could describe a huge graph of tail calls.
const maxTailCallSteps = 1 << 14

// tailSite is a call site with its module and runtime return address.
type tailSite struct {
	m  *symbolize.Module
	cs symbolize.CallSite
	pc uint64 // runtime address after the call instruction
}

// chainElem is a call site in a function's list of tail calls: gdb's
// call_site with its tail_call_next sibling link.
type chainElem struct {
	list []tailSite
	i    int
}

func (e chainElem) site() tailSite { return e.list[e.i] }

// tailChain is gdb's call_site_chain: the tail call sites between a caller
// and a callee, outermost first, and how many of them at each end every
// possible path agrees on.
type tailChain struct {
	sites            []tailSite
	callers, callees int
}

// levels returns the chain's sites as frames, innermost (next to the
// callee) first, as gdb's pretend_pc orders them: the agreed callees from
// the bottom, then the agreed callers; the ambiguous middle is left out.
func (c *tailChain) levels() []tailSite {
	n := len(c.sites)
	var out []tailSite
	for k := 0; k < c.callees && k < n; k++ {
		out = append(out, c.sites[n-1-k])
	}
	if c.callees != n {
		for k := 0; k < c.callers; k++ {
			out = append(out, c.sites[c.callers-1-k])
		}
	}
	return out
}

// candidate intersects the chain found so far with another complete path
// (gdb's chain_candidate): only the callers at the top and the callees at
// the bottom that both share remain. It reports false when nothing is
// shared: the way from caller to callee is ambiguous.
func (c *tailChain) candidate(path []chainElem) bool {
	if c.sites == nil {
		c.sites = make([]tailSite, len(path))
		for i, e := range path {
			c.sites[i] = e.site()
		}
		c.callers, c.callees = len(path), len(path)
		return true
	}
	n, l := len(c.sites), len(path)
	for i := 0; i < min(c.callers, l); i++ {
		if c.sites[i].pc != path[i].site().pc {
			c.callers = i
			break
		}
	}
	for i := 0; i < min(c.callees, l); i++ {
		if c.sites[n-1-i].pc != path[l-1-i].site().pc {
			c.callees = i
			break
		}
	}
	return c.callers != 0 || c.callees != 0
}

// callSiteFor returns the call site whose return address is pc.
func (s *Session) callSiteFor(pc uint64) (tailSite, error) {
	m := s.Modules.Module(pc)
	if m == nil {
		return tailSite{}, errNoChain
	}
	cs, ok, err := m.CallSiteAt(m.FileAddr(pc))
	if err != nil || !ok {
		return tailSite{}, errNoChain
	}
	return tailSite{m: m, cs: cs, pc: pc}, nil
}

// callTarget is where a call site goes, without registers (gdb's
// call_site_to_target_addr with no caller frame): a function defined in
// the module, or a declared one found by name, global symbols first and
// the call site's own module before the others.
func (s *Session) callTarget(ts tailSite, names map[string]uint64) (uint64, error) {
	switch ts.cs.Kind {
	case symbolize.CallTargetAddr:
		return ts.m.RuntimeAddr(ts.cs.TargetAddr), nil
	case symbolize.CallTargetName:
		a, ok := names[ts.cs.TargetName]
		if !ok {
			a = s.namedTarget(ts.m, ts.cs.TargetName)
			names[ts.cs.TargetName] = a
		}
		if a == 0 {
			return 0, errNoChain
		}
		return a, nil
	}
	return 0, errNoChain
}

// namedTarget is the runtime address of the function a call in module own
// names, 0 if none is found: own's global symbol of that name, else any
// module's export (the only way a call reaches another module: a few
// pages of .gnu.hash, not every name of librustc_driver and libLLVM),
// else own's local symbol.
func (s *Session) namedTarget(own *symbolize.Module, name string) uint64 {
	var local uint64
	if a, global, ok := own.FuncAddr(name); ok {
		if global {
			return own.RuntimeAddr(a)
		}
		local = own.RuntimeAddr(a)
	}
	for _, m := range s.Modules.Modules {
		if a, ok := m.ExportedFuncAddr(name); ok {
			return m.RuntimeAddr(a)
		}
	}
	return local
}

// tailList returns the tail calls of the function that starts at addr; it
// fails when no function with DWARF starts exactly there (gdb's
// func_addr_to_tail_call_list).
func (s *Session) tailList(addr uint64) ([]tailSite, error) {
	m := s.Modules.Module(addr)
	if m == nil {
		return nil, errNoChain
	}
	css, found, err := m.TailCalls(m.FileAddr(addr))
	if err != nil || !found {
		return nil, errNoChain
	}
	out := make([]tailSite, len(css))
	for i, cs := range css {
		out[i] = tailSite{m: m, cs: cs, pc: m.RuntimeAddr(cs.ReturnPC)}
	}
	return out, nil
}

// findTailChain is gdb's call_site_find_chain_1: a depth-first search from
// the caller's call site at callerPC through the tail calls of each
// function reached, for every path that ends in a call to calleeStart.
// Each call site is entered once per path. Any site that cannot be
// followed ends the search with no chain, as in gdb.
func (s *Session) findTailChain(callerPC, calleeStart uint64) (*tailChain, error) {
	cur, err := s.callSiteFor(callerPC)
	if err != nil {
		return nil, err
	}
	names := map[string]uint64{}
	var result tailChain
	var path []chainElem
	onPath := map[uint64]bool{}
	for steps := 0; ; steps++ {
		if steps > maxTailCallSteps {
			return nil, fmt.Errorf("%w: more than %d steps", errNoChain, maxTailCallSteps)
		}
		target, err := s.callTarget(cur, names)
		if err != nil {
			return nil, err
		}
		var next *chainElem
		if target == calleeStart {
			if !result.candidate(path) {
				return nil, errNoChain
			}
		} else {
			list, err := s.tailList(target)
			if err != nil {
				return nil, err
			}
			if len(list) > 0 {
				next = &chainElem{list: list}
			}
		}
		for {
			if next != nil && !onPath[next.site().pc] {
				onPath[next.site().pc] = true
				path = append(path, *next)
				break
			}
			// Backtrack: the last site's next sibling, or its
			// caller's, and so on.
			next = nil
			for len(path) > 0 {
				last := path[len(path)-1]
				path = path[:len(path)-1]
				delete(onPath, last.site().pc)
				if last.i+1 < len(last.list) {
					next = &chainElem{list: last.list, i: last.i + 1}
					break
				}
			}
			if next == nil {
				break
			}
		}
		if len(path) == 0 {
			break
		}
		cur = path[len(path)-1].site()
	}
	if result.sites == nil {
		return nil, errNoChain
	}
	return &result, nil
}

// tailCallFrames returns the frames gdb rebuilds between callee, a frame
// whose caller was found by CFI, and caller: innermost first, each at the
// address after its tail call, with the stack pointer gdb gives them: the
// callee's CFA, which is also the caller's stack pointer. index is the caller's frame number,
// which they share, as inlined frames do.
//
// chains caches the chain (nil for none) by the caller's PC and the
// callee's lookup address, the only inputs of the search: a 10,000-frame
// recursion asks for the same few pairs thousands of times, and each ask
// is a symbol lookup and a call-site search.
func (s *Session) tailCallFrames(callee, caller *stackmap.Frame, index int, chains map[[2]uint64]*tailChain) []report.Frame {
	if caller.Method != stackmap.MethodCFI || callee.Signal || callee.CFA == 0 {
		return nil
	}
	key := [2]uint64{caller.PC, callee.LookupPC()}
	chain, ok := chains[key]
	if !ok {
		if start, ok := s.code.FuncStart(key[1]); ok {
			if c, err := s.findTailChain(caller.PC, start); err == nil {
				chain = c
			}
		}
		chains[key] = chain
	}
	if chain == nil {
		return nil
	}
	sites := chain.levels()
	out := make([]report.Frame, 0, len(sites))
	for _, ts := range sites {
		fr := report.Frame{Index: index, PC: report.Addr(ts.pc), SP: report.Addr(callee.CFA), CFA: report.Addr(callee.CFA),
			Method: report.MethodTailCall, Module: ts.m.Name(), ModuleOffset: report.Addr(ts.pc - ts.m.Start)}
		fr.Unreliable = ts.m.Status == symbolize.StatusMismatch
		// Looked up at pc-1, inside the jump, as gdb does for a
		// TAILCALL_FRAME. gdb shows no inlined frames for it: it names
		// the frame by the innermost DWARF function at that address
		// (glibc's __pthread_kill_internal, inlined into __pthread_kill,
		// whose symbol the jump lies in), at the line table's position;
		// Symbol stays the ELF symbol.
		c := s.lookupCode(ts.m, ts.pc-1)
		c.setSymbol(&fr)
		if len(c.locs) > 0 {
			in := c.locs[0]
			if in.Function != "" {
				fr.Function = s.demangle(in.Function)
			}
			fr.File, fr.Line, fr.Column = in.File, in.Line, in.Column
		}
		out = append(out, fr)
	}
	return out
}
