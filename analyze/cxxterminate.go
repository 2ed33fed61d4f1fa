package analyze

import (
	"fmt"
	"strings"

	"github.com/coreview/coreview/report"
)

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

// cxxSummary says why a C++ program aborted in std::terminate; who names
// the caller frame, e the exception object when it was found.
func cxxSummary(tid int, c *cxxTerminate, who string, e *report.CxxException) string {
	exc := "a C++ exception"
	if e != nil && e.Type != "" {
		exc = fmt.Sprintf("an instance of '%s'", e.Type)
	}
	switch c.Cause {
	case "cxx-exception":
		if e != nil && e.Type != "" {
			return fmt.Sprintf("Thread %d terminated after throwing %s in %s: nothing caught it (the unwinder found no handler, so %s called std::terminate(), which called abort()).", tid, exc, who, c.Via)
		}
		return fmt.Sprintf("Thread %d threw a C++ exception in %s that nothing caught: the unwinder found no handler on the stack, so %s called std::terminate(), which called abort() (libstdc++'s default terminate handler prints the exception's type and what() to stderr).", tid, who, c.Via)
	case "cxx-noexcept":
		if c.Via == "__cxa_call_terminate" {
			// GCC 13's landing pad of a noexcept function calls
			// __cxa_call_terminate from that function's own frame.
			return fmt.Sprintf("Thread %d let %s escape %s, a function that cannot throw (noexcept, or a destructor during unwinding): its landing pad called __cxa_call_terminate, and std::terminate() called abort().", tid, exc, who)
		}
		return fmt.Sprintf("Thread %d threw %s in %s that reached a function that cannot throw (noexcept, or a destructor during unwinding) further out on its stack: the C++ runtime's personality routine (%s) called std::terminate(), which called abort(), before unwinding any frame.", tid, exc, who, c.Via)
	case "cxx-pure-virtual":
		what := "a pure virtual function"
		if c.Via == "__cxa_deleted_virtual" {
			what = "a deleted virtual function"
		}
		return fmt.Sprintf("Thread %d called %s in %s, which reached %s, the vtable's placeholder (a virtual call during the object's construction or destruction, or through a destroyed object), so std::terminate() called abort().", tid, what, who, c.Via)
	default:
		return fmt.Sprintf("Thread %d called std::terminate() from %s directly (no throw, noexcept violation or pure virtual call is on the stack), and terminate called abort().", tid, who)
	}
}
