package analyze

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/report"
	"golang.org/x/arch/x86/x86asm"
)

// The causes behind an abort that a runtime leaves on the stack: the Go
// runtime killing its own process, a C assertion, the C++ runtime
// terminating. abort.go decides which one applies.

// The Go runtime kills its own process on purpose. A fatal signal in Go
// code becomes a panic: the runtime's signal handler makes the faulting
// goroutine "call" runtime.sigpanic at the faulting PC (sighandler pushes
// that PC as a return address, signal_amd64.go pushCall), sigpanic calls
// runtime.panicmem (or panicdivide, panicfloat…) and gopanic. An
// unrecovered panic ends in runtime.fatalpanic, a runtime error in
// runtime.fatalthrow; with GOTRACEBACK=crash both go on to runtime.crash,
// which calls runtime.dieFromSignal(SIGABRT), and that raises the signal
// with runtime.raise after restoring the default action. A fatal signal
// the runtime does not turn into a panic (one in C code, SIGQUIT) is
// re-raised by dieFromSignal from the signal handler itself.

// goDeath is how the Go runtime killed the process, from the crashed
// thread's frames.
type goDeath struct {
	// Cause is "fatal-signal" (a fault in Go code became a panic that
	// was not recovered), "fatal-panic" (an unrecovered panic),
	// "fatal-error" (runtime.throw: a runtime error such as a concurrent
	// map write or a deadlock) or "signal" (a fatal signal the runtime
	// re-raised).
	Cause string
	// Fault is the index of the frame under runtime.sigpanic: the Go
	// function whose instruction faulted; -1 when none.
	Fault int
	// Panic is the runtime function sigpanic called, which says what
	// kind of fault it was (runtime.panicmem: a nil or invalid pointer).
	Panic string
	// Caller is the first frame past the runtime's machinery: the one
	// that panicked or threw; -1 when none.
	Caller int
}

// goRuntimeDeath recognizes a death the Go runtime caused: runtime.raise
// at the top (past signal frames of the runtime's own handler) and
// dieFromSignal or crash below it. It returns nil for any other stack.
func goRuntimeDeath(frames []report.Frame) *goDeath {
	if len(frames) == 0 || report.GoFunc(frames[0].Function) != "runtime.raise" && report.GoFunc(frames[0].Function) != "runtime.raiseproc" && report.GoFunc(frames[0].Function) != "runtime.tgkill" {
		return nil
	}
	d := &goDeath{Fault: -1, Caller: -1}
	died := false
	for i, f := range frames {
		switch goEnclosing(f.Function) {
		case "runtime.dieFromSignal", "runtime.crash":
			died = true
		case "runtime.fatalpanic", "runtime.gopanic":
			if d.Cause == "" {
				d.Cause = "fatal-panic"
			}
		case "runtime.fatalthrow", "runtime.throw", "runtime.fatal":
			if d.Cause == "" {
				d.Cause = "fatal-error"
			}
		case "runtime.sigpanic":
			d.Cause = "fatal-signal"
			if i+1 < len(frames) && !frames[i+1].Signal {
				d.Fault = i + 1
			}
			// What sigpanic called, often inlined into it
			// (runtime.panicmem).
			for _, in := range f.Inlined {
				if strings.HasPrefix(report.GoFunc(in.Function), "runtime.panic") {
					d.Panic = report.GoFunc(in.Function)
				}
			}
			if i > 0 && d.Panic == "" && strings.HasPrefix(report.GoFunc(frames[i-1].Function), "runtime.panic") {
				d.Panic = report.GoFunc(frames[i-1].Function)
			}
		}
	}
	if !died {
		return nil
	}
	if d.Cause == "" {
		d.Cause = "signal"
	}
	for i, f := range frames {
		if f.Signal || f.Function == "" || report.IsGoMachinery(f.Function) {
			continue
		}
		if i >= d.Fault {
			d.Caller = i
			break
		}
	}
	return d
}

// goEnclosing returns the function a Go closure belongs to: the runtime
// runs its fatal paths as closures on the system stack
// (runtime.fatalthrow.func1, runtime.fatalpanic.func1), and the compiler
// names a closure after its enclosing function, ".funcN" for the first
// level and ".N" for each nested one (pkg.f.func1.2).
func goEnclosing(name string) string {
	name = report.GoFunc(name)
	for {
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			return name
		}
		suffix := name[i+1:]
		digits := strings.TrimPrefix(suffix, "func")
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			return name
		}
		if digits == suffix && !strings.Contains(name[:i], ".func") {
			// A bare ".N" is a nested closure's only under a ".funcN".
			return name
		}
		name = name[:i]
	}
}

// goOnStack reports whether a physical frame of the Go function name
// (whatever its ABI suffix) is on the stack.
func goOnStack(frames []report.Frame, name string) bool {
	for _, f := range frames {
		if report.GoFunc(f.Function) == name {
			return true
		}
	}
	return false
}

// assertion reads what a failed assert() reported: the expression, file,
// line and function that the caller passed to __assert_fail(assertion,
// file, line, function) in rdi, rsi, edx and rcx (psABI 3.2.3). The
// registers are long overwritten when the core is written, but compilers
// load these constants right before the call (`lea rdi, [rip+X]`, `mov
// edx, 6`), so they are read back from the caller's code and the strings
// from memory. When an argument was computed at run time it is left out;
// glibc's __abort_msg text, when present, fills what the code does not
// give.
func (a *analysis) assertion(info *report.AbortInfo, frames []report.Frame) {
	for i, f := range frames {
		if (f.Function != "__assert_fail" && f.Function != "__GI___assert_fail") || i+1 >= len(frames) {
			continue
		}
		caller := frames[i+1]
		inst, at, ok := a.s.callBefore(uint64(caller.PC))
		if !ok || inst.Op != x86asm.CALL {
			break
		}
		funcStart, _ := a.s.code.FuncStart(at)
		insts := a.s.straightLineBefore(at, funcStart)
		str := func(r x86asm.Reg) string {
			if v, ok := constantArg(insts, r); ok {
				if s, err := a.s.Mem.ReadCString(v, 4096); err == nil {
					return s
				}
			}
			return ""
		}
		info.Assertion, info.File, info.Function = str(x86asm.RDI), str(x86asm.RSI), str(x86asm.RCX)
		if v, ok := constantArg(insts, x86asm.RDX); ok {
			info.Line = int(v)
		}
		break
	}
	if m := assertMsg().FindStringSubmatch(info.Message); m != nil {
		if info.File == "" {
			info.File = m[1]
		}
		if info.Line == 0 {
			info.Line, _ = strconv.Atoi(m[2])
		}
		if info.Function == "" {
			info.Function = m[3]
		}
		if info.Assertion == "" {
			info.Assertion = m[4]
		}
	}
}

// assertMsg matches glibc's assertion message, "%s%s%s:%u: %s%sAssertion
// `%s' failed." (assert/assert.c): program, file, line, function,
// expression.
var assertMsg = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile("(?s)^(?:[^:]*: )?(.+?):(\\d+): (?:(.+?): )?Assertion `(.*)' failed\\.")
})

// constantArg finds the constant the straight-line code insts last put in
// register r: a rip-relative lea (an address) or a mov of an immediate.
func constantArg(insts []decodedInst, r x86asm.Reg) (uint64, bool) {
	for i := len(insts) - 1; i >= 0; i-- {
		in := insts[i]
		if !x86.WritesReg(in.inst, r) {
			continue
		}
		switch in.inst.Op {
		case x86asm.LEA:
			if m, ok := in.inst.Args[1].(x86asm.Mem); ok && m.Base == x86asm.RIP && m.Index == 0 {
				return in.at + uint64(in.inst.Len) + uint64(m.Disp), true
			}
		case x86asm.MOV:
			if v, ok := in.inst.Args[1].(x86asm.Imm); ok {
				return uint64(v), true
			}
		}
		return 0, false
	}
	return 0, false
}

// A C++ program that dies in std::terminate aborted for a reason its
// stack shows: libstdc++'s std::terminate (and libc++'s) calls the
// terminate handler, which calls abort(). Under it (outward) lies what
// called terminate:
//   - __cxa_throw or __cxa_rethrow: the unwinder found no handler for the
//     exception (libsupc++ eh_throw.cc: _Unwind_RaiseException returned),
//     so the frame under __cxa_throw threw an exception nothing caught;
//   - the personality routine (__gxx_personality_v0, inside
//     _Unwind_RaiseException) or __cxa_call_terminate: the exception
//     reached a noexcept function (or a destructor during unwinding);
//   - __cxa_pure_virtual or __cxa_deleted_virtual: a virtual call found
//     the compiler's placeholder in the vtable;
//   - anything else called std::terminate() itself (a joinable
//     std::thread destroyed, a direct call).

// cxxTerminate is what made a C++ program call std::terminate.
type cxxTerminate struct {
	// Cause is an AbortInfo cause: "cxx-exception",
	// "cxx-noexcept", "cxx-pure-virtual" or "cxx-terminate".
	Cause string
	// Via is the runtime function under terminate that says why
	// (__cxa_throw, __gxx_personality_v0, __cxa_pure_virtual…); "" when
	// terminate was called directly.
	Via string
	// Caller is the index of the first frame past the C++ runtime's:
	// the thrower, the virtual call's caller, terminate's caller; -1
	// when none.
	Caller int
}

// cxxTerminateOf recognizes a std::terminate on the stack and what called
// it; nil when there is none. In a stripped libstdc++ terminate itself
// may have no name (__cxxabiv1::__terminate, called by the personality
// routine, is internal): then the first named frame past abort and the
// library's unnamed frames is the C++ runtime function that terminated.
func cxxTerminateOf(frames []report.Frame) *cxxTerminate {
	c := &cxxTerminate{Cause: "cxx-terminate", Caller: -1}
	seen := false // std::terminate or one of its callers is on the stack
	for i, f := range frames {
		name := report.StripClone(f.Function)
		switch {
		case f.Signal:
			return nil
		case report.IsCXXTerminate(name):
			seen = true
		case name == "__cxa_throw" || name == "__cxa_rethrow":
			seen = true
			if c.Cause == "cxx-terminate" {
				c.Cause, c.Via = "cxx-exception", name
			}
		case name == "__gxx_personality_v0" || name == "__cxa_call_terminate" || name == "__cxa_call_unexpected":
			seen = true
			c.Cause, c.Via = "cxx-noexcept", name
		case name == "__cxa_pure_virtual" || name == "__cxa_deleted_virtual":
			seen = true
			c.Cause, c.Via = "cxx-pure-virtual", name
		case name == "" || report.IsAbortMachinery(name) || strings.HasPrefix(name, "_Unwind_"):
			// abort's own frames, a stripped libstdc++'s, the unwinder's.
		case !seen:
			return nil // abort was called from elsewhere
		default:
			c.Caller = i
			return c
		}
	}
	if !seen {
		return nil
	}
	return c
}
