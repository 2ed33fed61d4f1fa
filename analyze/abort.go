package analyze

import (
	"strings"

	"github.com/coreview/coreview/analyze/cxxexception"
	"github.com/coreview/coreview/analyze/rustpanic"
	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/report"
)

// diagnoseAbort explains a SIGABRT from the crashed thread's frames: it
// finds the cause and its facts (who aborted, what the runtime printed);
// AbortInfo.Explain words them.
func (a *analysis) diagnoseAbort(haveOverflow bool) *report.Diagnosis {
	c := a.s.Core
	ct := a.crashed()
	if c.Siginfo == nil || c.Siginfo.Signo != report.SIGABRT || ct == nil {
		return nil
	}
	t := ct.thread
	snd := a.sender()
	if snd.Other {
		return nil // diagnoseKilled: no abort or raise story
	}
	if g := goRuntimeDeath(t.Frames); g != nil {
		return goAbort(t, g, func() (uint64, uint64) { return a.s.goGrowing(ct.core, ct.stack) })
	}
	has := func(sub string) bool {
		for _, f := range t.Frames {
			if strings.Contains(f.Function, sub) {
				return true
			}
		}
		return false
	}
	info := &report.AbortInfo{Cause: "abort-call"}
	switch {
	case has("stack_overflow") && has("signal_handler"):
		info.Cause = "rust-stack-overflow"
	case has("__assert_fail"):
		info.Cause = "assertion"
	case has("malloc_printerr"):
		info.Cause = "heap-corruption"
	case has("__stack_chk_fail"):
		info.Cause = "stack-protector"
	case has("__fortify_fail") || has("__chk_fail"):
		info.Cause = "fortify"
	case has("rust_panic") || has("core::panicking::") || has("std::panicking::"):
		info.Cause = "rust-panic"
	case has("std::process::abort"):
		info.Cause = "rust-abort"
	}
	cxx := cxxTerminateOf(t.Frames)
	if info.Cause == "abort-call" && cxx != nil {
		info.Cause = cxx.Cause
	}
	for i, f := range t.Frames {
		if f.Signal {
			break
		}
		if i > 0 && !report.IsAbortMachinery(f.Function) && !report.IsRuntimeModule(f.Module) {
			info.Caller = &report.FrameRef{Index: i, PC: f.PC, Function: f.Name(), Module: f.Module}
			break
		}
	}
	if strings.HasPrefix(info.Cause, "cxx-") {
		// The thrower, the virtual call's caller: past the C++
		// runtime's own frames, which a stripped libstdc++ leaves
		// unnamed.
		info.Caller, info.Via = nil, cxx.Via
		if cxx.Caller >= 0 {
			f := t.Frames[cxx.Caller]
			info.Caller = &report.FrameRef{Index: cxx.Caller, PC: f.PC, Function: f.Name(), Module: f.Module}
		}
	}
	if info.Cause == "abort-call" && !onStack(t.Frames, "abort") {
		// abort() is not on the stack: the program raised SIGABRT
		// itself, or the signal came from elsewhere in the process.
		info.Cause = "signal"
		if r := raisedBy(t.Frames, info.Caller); r != "" {
			info.Cause, info.Raiser = "raise", r
		}
		// A stack that ends early (a truncated core, a stack not
		// dumped) shows only its top: abort() or any caller may lie
		// past where the walk stopped.
		if info.Caller == nil && t.EndReason != "end of stack" {
			info.Cause, info.Raiser, info.StackCut = "signal", "", true
		}
	}
	if snd.Self {
		info.SelfSent = snd.How
	}
	info.Message = a.abortMessage()
	if info.Cause == "abort-call" && info.Message != "" {
		// Stripped C libraries hide malloc_printerr and friends; their
		// message still says what failed.
		info.Cause = causeFromMessage(info.Message)
	}
	if info.Cause == "assertion" {
		a.assertion(info, t.Frames)
	}
	if info.Cause == "rust-panic" {
		// The runtime functions that abort a panic that cannot unwind.
		for _, via := range []string{"panic_in_cleanup", "panic_cannot_unwind", "panic_nounwind"} {
			if has(via) {
				info.PanicVia = via
				break
			}
		}
		if p, ok := a.rustPanic(); ok {
			info.Panic = &report.Panic{Message: p.Message,
				Location: report.PanicLocation{File: p.Location.File, Line: p.Location.Line, Column: p.Location.Column}}
		}
	}
	if info.Cause == "cxx-exception" || info.Cause == "cxx-noexcept" {
		if e, ok := a.cxxException(); ok {
			info.Exception = &report.CxxException{Type: e.Type, What: e.What}
		}
	}
	info.OverflowAbove = haveOverflow
	d := &report.Diagnosis{Kind: report.KindAbort, Thread: t.TID, AbortInfo: info}
	d.Summary, d.Explanation = info.Explain(t)
	return d
}

// raisers are the functions a thread raises a signal with.
var raisers = map[string]bool{
	"raise": true, "gsignal": true, "pthread_kill": true, "__pthread_kill": true, "__pthread_kill_implementation": true,
	"__pthread_kill_internal": true, "kill": true, "tgkill": true, "tkill": true, "syscall": true,
}

// onStack reports whether a physical frame of the function name (or a
// compiler-made part of it) is on the stack.
func onStack(frames []report.Frame, name string) bool {
	for _, f := range frames {
		if report.StripClone(f.Function) == name {
			return true
		}
		for _, in := range f.Inlined {
			if report.StripClone(in.Function) == name {
				return true
			}
		}
	}
	return false
}

// throwCaller returns the function that called runtime.throw (the
// innermost inlined into the frame below it), "" when throw is not on the
// stack. newstack throws "stack overflow" itself; an out-of-memory while
// growing a stack throws from runtime.stackalloc under newstack.
func throwCaller(frames []report.Frame) string {
	for i, f := range frames {
		if report.GoFunc(f.Function) != "runtime.throw" || i+1 >= len(frames) {
			continue
		}
		c := frames[i+1]
		if len(c.Inlined) > 0 {
			return report.GoFunc(c.Inlined[0].Function)
		}
		return report.GoFunc(c.Function)
	}
	return ""
}

// raisedBy returns the function the thread raised its signal with, when
// every frame above caller (innermost first) is raise machinery or the C
// library and one of them raises: the call caller made ("raise"). It
// returns "" when the top of the stack is anything else: the thread was
// then doing something else when the signal came.
func raisedBy(frames []report.Frame, caller *report.FrameRef) string {
	end := len(frames)
	switch {
	case caller != nil && caller.Index <= len(frames):
		end = caller.Index
	case caller != nil:
		return ""
	default:
		// No named caller (a stripped program): the raise machinery
		// ends at the first frame that is neither it nor the C
		// library's.
		for i, f := range frames {
			if f.Signal || !report.IsRuntimeModule(f.Module) && (f.Function == "" || !report.IsAbortMachinery(f.Function)) {
				end = i
				break
			}
		}
	}
	found := ""
	for _, f := range frames[:end] {
		if f.Signal || !report.IsAbortMachinery(f.Function) && !report.IsRuntimeModule(f.Module) {
			return ""
		}
		if raisers[report.StripClone(f.Function)] {
			found = report.StripClone(f.Function)
		}
	}
	return found
}

// goAbort is the abort diagnosis of a death the Go runtime caused
// (goRuntimeDeath). growing, if not nil, reads the size of the stack
// runtime.newstack was growing and the runtime's maximum (goGrowing).
func goAbort(t *report.Thread, g *goDeath, growing func() (uint64, uint64)) *report.Diagnosis {
	info := &report.AbortInfo{Cause: "go-" + g.Cause, GoPanic: g.Panic,
		GoCrash: onStack(t.Frames, "runtime.crash"), SystemStack: goOnStack(t.Frames, "runtime.systemstack"),
		GoStackOverflow: g.Cause == "fatal-error" && throwCaller(t.Frames) == "runtime.newstack"}
	ref := func(i int) *report.FrameRef {
		f := t.Frames[i]
		return &report.FrameRef{Index: i, PC: f.PC, Function: f.Name(), Module: f.Module}
	}
	if g.Fault >= 0 {
		info.Caller = ref(g.Fault)
	} else if g.Caller >= 0 {
		info.Caller = ref(g.Caller)
	}
	if info.GoStackOverflow && growing != nil {
		info.GoStackSize, info.GoMaxStack = growing()
	}
	if info.GoStackOverflow && growing != nil {
		info.GoStackSize, info.GoMaxStack = growing()
	}
	d := &report.Diagnosis{Kind: report.KindAbort, Thread: t.TID, AbortInfo: info}
	d.Summary, d.Explanation = info.Explain(t)
	return d
}

// abortMessage reads glibc's __abort_msg (a GLIBC_PRIVATE pointer to
// struct abort_msg_s { unsigned int size; char msg[]; }), which
// __assert_fail_base and __libc_message set before calling abort.
func (a *analysis) abortMessage() string {
	for _, m := range a.s.Modules.Modules {
		if m.Name() != "libc.so.6" {
			continue
		}
		sym, ok := m.LookupObjectName("__abort_msg")
		if !ok {
			return ""
		}
		p, err := a.s.Mem.ReadUint64(m.RuntimeAddr(sym.Addr))
		if err != nil || p == 0 {
			return ""
		}
		msg, err := a.s.Mem.ReadCString(p+4, 4096)
		if err != nil {
			return ""
		}
		return strings.TrimRight(msg, "\n")
	}
	return ""
}

// causeFromMessage classifies glibc's abort message.
func causeFromMessage(msg string) string {
	switch {
	case strings.Contains(msg, "Assertion") && strings.Contains(msg, "failed"):
		return "assertion"
	case strings.Contains(msg, "stack smashing detected"):
		return "stack-protector"
	case strings.Contains(msg, "buffer overflow detected"):
		return "fortify"
	}
	for _, p := range []string{"free(): ", "malloc(): ", "realloc(): ", "double free", "corrupted", "munmap_chunk(): ",
		"malloc_consolidate(): ", "_int_free(): ", "_int_malloc(): ", "tcache_thread_shutdown(): "} {
		if strings.Contains(msg, p) {
			return "heap-corruption"
		}
	}
	return "abort-call"
}

// rustPanic recovers the panic the crashed thread's Rust runtime printed
// before it aborted: its location and, when std had formatted it, its
// message.
func (a *analysis) rustPanic() (rustpanic.Panic, bool) {
	ct := a.crashed()
	if ct == nil {
		return rustpanic.Panic{}, false
	}
	var frames []rustpanic.Frame
	for _, f := range ct.thread.Frames {
		frames = append(frames, rustpanic.Frame{Function: f.Function, SP: uint64(f.SP), CFA: uint64(f.CFA)})
	}
	return rustpanic.Find(a.s.Mem, panicSpace{a.mm, a.s}, frames)
}

// panicSpace answers rustpanic's questions from the mappings' roles.
type panicSpace struct {
	mm *memoryMap
	s  *Session
}

func (p panicSpace) ReadOnlyData(addr uint64) bool {
	m := p.mm.core.Mapping(addr)
	if m == nil || m.File == "" || m.Perm&corefile.PermR == 0 || m.Perm&(corefile.PermX|corefile.PermW) != 0 {
		return false
	}
	return p.mm.role(m) == report.RoleRodata
}

func (p panicSpace) Function(addr uint64) string {
	if !p.s.Mem.Executable(addr) {
		return ""
	}
	m := p.s.Modules.Module(addr)
	if m == nil {
		return ""
	}
	sym, ok := m.Lookup(m.FileAddr(addr))
	if !ok || m.RuntimeAddr(sym.Addr) != addr {
		return "" // a vtable entry is a function's start
	}
	return p.s.demangle(sym.Name)
}

func (p panicSpace) Heap(addr uint64) bool {
	m := p.mm.core.Mapping(addr)
	if m == nil {
		return false
	}
	switch p.mm.role(m) {
	case report.RoleHeap, report.RoleAnon:
		return m.Perm&corefile.PermW != 0
	}
	return false
}

// cxxException finds the C++ exception that reached std::terminate on the
// crashed thread: only when a frame of the terminate path is on its
// stack, among the values its frames hold.
func (a *analysis) cxxException() (cxxexception.Exception, bool) {
	ct := a.crashed()
	if ct == nil || !terminating(ct.thread.Frames) {
		return cxxexception.Exception{}, false
	}
	var values []uint64
	var cut bool
	for h := range inputHolders(a.s.Mem, ct.core, ct.stack, &cut) {
		values = append(values, h.Values...)
	}
	return cxxexception.Find(a.s.Mem, values)
}

// terminating reports whether the frames pass through C++'s terminate
// path: std::terminate, or the throw that found no handler.
func terminating(frames []report.Frame) bool {
	for _, f := range frames {
		for _, name := range []string{"std::terminate", "__cxxabiv1::__terminate", "__cxa_throw", "__cxa_rethrow", "std::rethrow_exception"} {
			if strings.HasPrefix(f.Function, name) {
				return true
			}
		}
	}
	return false
}
