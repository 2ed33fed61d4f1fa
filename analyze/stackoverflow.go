package analyze

import (
	"fmt"
	"strings"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// mainStackGap is how far below the main stack a fault still counts as
// running off it: the stack_guard_gap, and some slack for a frame that
// jumped further.
const mainStackGap = report.StackGuardGap + 64<<10

// threadStackGap is how far below other stacks a fault counts, for stacks
// without a guard mapping.
const threadStackGap = 64 << 10

// faultContext is the fault to explain: the thread, the frames from the
// faulting one outwards, and the signal as the kernel first raised it.
type faultContext struct {
	ti      int // index of the thread
	thread  *corefile.Thread
	first   int // index in the thread's frames of the faulting frame
	frames  []stackmap.Frame
	signo   int
	code    int
	addr    uint64
	handler string
}

// faultOf returns the fault the crashed thread took. When the thread died
// of a signal raised in a handler (Rust std's overflow handler calls
// abort), the original fault is read from the signal frame: the kernel put
// the siginfo right after the ucontext, on the handler's stack.
func (a *analysis) faultOf() *faultContext {
	c := a.s.Core
	ct := a.crashed()
	if ct == nil || c.Siginfo == nil {
		return nil
	}
	st := ct.stack
	fc := &faultContext{ti: 0, thread: ct.core, frames: st.Frames, signo: c.Siginfo.Signo, code: c.Siginfo.Code, addr: c.Siginfo.Addr}
	if c.Siginfo.HasAddr() {
		return fc
	}
	for i, f := range st.Frames {
		if !f.Signal {
			continue
		}
		// The innermost signal frame: the fault behind the handler is
		// in its siginfo (SA_SIGINFO) or its sigcontext.
		signo, code, addr, _, ok := a.s.faultFromSignalFrame(f.SP)
		if !ok || i+1 >= len(st.Frames) {
			return nil
		}
		fc.first, fc.frames = i+1, st.Frames[i+1:]
		fc.signo, fc.code, fc.addr = signo, code, addr
		fc.handler = handlerStory(ct.thread.Frames[:i], signo, c.Siginfo.Signo)
		return fc
	}
	return nil
}

// handlerStory says what the signal handler whose frames (innermost
// first, above its signal frame) are given did with the fault signo,
// when the process then died of died.
func handlerStory(frames []report.Frame, signo, died int) string {
	for _, hf := range frames {
		if strings.Contains(hf.Function, "stack_overflow") {
			return "Rust std's stack-overflow handler caught the fault, printed \"thread '…' has overflowed its stack\" and aborted"
		}
	}
	handler := "a signal handler"
	for i := len(frames) - 1; i >= 0; i-- {
		// The outermost frame above the signal frame is the handler
		// the kernel called; the C library's frames are not it.
		if f := frames[i]; f.Function != "" && !report.IsRuntimeModule(f.Module) {
			handler = fmt.Sprintf("a signal handler (%s)", f.Function)
			break
		}
	}
	then := "the process then died of " + report.SignalName(died)
	switch {
	case onStack(frames, "abort"):
		then = "then called abort()"
	case died == signo && (onStack(frames, "raise") || onStack(frames, "gsignal") || onStack(frames, "pthread_kill")):
		then = fmt.Sprintf("then raised %s again (a crash reporter restoring the default action, as python's faulthandler does)", report.SignalName(died))
	}
	return fmt.Sprintf("%s caught the %s and %s", handler, report.SignalName(signo), then)
}

// locateOverflow finds the stack an address ran off: the address is in a
// PROT_NONE mapping right below a writable anonymous one, or in the
// unmapped gap just below one.
func (a *analysis) locateOverflow(addr uint64) (stack, guard *corefile.Mapping, ok bool) {
	m := a.s.Core.Mapping(addr)
	if m != nil && m.Perm != 0 {
		return nil, nil, false
	}
	stack = a.mm.stackOf(addr)
	switch {
	case stack == nil:
		return nil, nil, false
	case m != nil:
		return stack, m, true
	}
	switch a.mm.role(stack) {
	case report.RoleStack, report.RoleMainStack, report.RoleStackSegment, report.RoleStackUnguarded, report.RoleSigaltstack:
		return stack, nil, true
	}
	return nil, nil, false
}

// diagnoseStackOverflow explains a fault in a guard page or below a stack.
func (a *analysis) diagnoseStackOverflow() *report.Diagnosis {
	fc := a.faultOf()
	if fc == nil || len(fc.frames) == 0 || (fc.signo != report.SIGSEGV && fc.signo != report.SIGBUS) {
		return nil
	}
	f0 := fc.frames[0]
	stack, guard, ok := a.locateOverflow(fc.addr)
	if !ok {
		// A push or call faults with si_addr at the new top of stack,
		// which is the stack pointer or just below it.
		if stack, guard, ok = a.locateOverflow(f0.SP - 8); !ok {
			return nil
		}
	}
	so := &report.StackOverflow{FaultAddress: report.Addr(fc.addr), SP: report.Addr(f0.SP), Depth: len(fc.frames)}
	so.Stack = report.StackExtent{Start: report.Addr(stack.Start), End: report.Addr(stack.End)}
	switch a.mm.role(stack) {
	case report.RoleMainStack:
		so.Stack.Kind = report.StackMain
	case report.RoleStackSegment, report.RoleStackUnguarded:
		so.Stack.Kind = report.StackSegment
	case report.RoleSigaltstack:
		so.Stack.Kind = report.StackSigaltstack
	default:
		so.Stack.Kind = report.StackThread
	}
	if guard != nil {
		so.Stack.GuardStart, so.Stack.GuardEnd = report.Addr(guard.Start), report.Addr(guard.End)
	} else {
		// No guard mapping: the unmapped space below the stack, down to
		// the next mapping; for the main stack, only the stack_guard_gap
		// the kernel keeps there.
		so.Stack.Gap = true
		lo, hi := a.mm.gapBelow(stack)
		so.Stack.GuardStart, so.Stack.GuardEnd = report.Addr(lo), report.Addr(hi)
	}
	thread := &a.report.Threads[fc.ti]
	fr := thread.Frames[fc.first]
	so.Frame = a.frameNeed(&f0, &fr)
	if f0.CFA != 0 {
		so.Remaining = int64(f0.CFA) - int64(stack.Start)
	}
	so.Recursion, so.TopConsumers = a.mm.stackUse(thread.Frames[fc.first:], fc.frames, so.Frame.Size)
	if so.Stack.Kind == report.StackSegment {
		so.Segment = a.mm.segmentExtent(stack, guard, thread.Frames[fc.first:], fc.frames)
	}
	so.Handler = fc.handler
	so.Hints = a.overflowHints(so, thread)
	so.Stacker = a.stackerLimit(fc.thread)

	d := &report.Diagnosis{Kind: report.KindStackOverflow, Thread: fc.thread.TID, StackOverflow: so}
	d.Summary, d.Explanation = so.Explain(fc.thread.TID)
	return d
}

func (a *analysis) overflowHints(so *report.StackOverflow, t *report.Thread) []string {
	rust := false
	for _, f := range t.Frames {
		if strings.HasPrefix(f.Function, "std::") || strings.HasPrefix(f.Function, "<std::") || strings.HasPrefix(f.Function, "core::") {
			rust = true
			break
		}
	}
	var hints []string
	switch so.Stack.Kind {
	case report.StackSegment:
		if so.Segment != nil && so.Segment.Stacker {
			hints = append(hints, "The overflow happened on a stack segment allocated by stacker/psm: the recursive path has no stacker::maybe_grow (rustc: ensure_sufficient_stack) call close enough to the recursion to allocate a new segment in time, or the segment is too small for the work done between two calls.")
		} else {
			hints = append(hints, "The overflow happened on a stack the thread switched to (a coroutine or fiber stack, or a stack allocated by hand): whoever allocates it must size it for the deepest path run on it.")
		}
	case report.StackMain:
		hints = append(hints, fmt.Sprintf("The main thread's stack is limited by RLIMIT_STACK (ulimit -s); it had grown to %s when it ran out.", report.HumanBytes(uint64(so.Stack.End-so.Stack.Start))))
	case report.StackThread:
		if rust {
			hints = append(hints, "Give the thread a bigger stack: std::thread::Builder::stack_size, or RUST_MIN_STACK for threads spawned without an explicit size (rustc: RUST_MIN_STACK=16777216).")
		} else {
			hints = append(hints, "Give the thread a bigger stack: pthread_attr_setstacksize (the default is RLIMIT_STACK, usually 8 MiB).")
		}
	}
	if len(so.Recursion) > 0 && so.Recursion[0].Frames > 100 {
		r := so.Recursion[0]
		hints = append(hints, fmt.Sprintf("%s recursed %s times: bound the recursion depth or make it iterative; a bigger stack only moves the limit.", r.Function, report.Commas(r.Frames)))
	}
	return hints
}
