package report

import (
	"fmt"
	"strings"
)

// Explain writes the abort of thread t in words: what made it abort (a
// failed check, a panic, an uncaught exception, the Go runtime), in whose
// code, and what the runtime printed. The cause and the facts behind it
// are the diagnosis's; Explain only words them, using t's frames and end
// reason when the stack was cut short.
func (ai *AbortInfo) Explain(t *Thread) (string, []string) {
	if strings.HasPrefix(ai.Cause, "go-") {
		return ai.goSummary(), nil
	}
	tid := t.TID
	who := "an unknown caller"
	if ai.Caller != nil {
		who = fmt.Sprintf("%s (#%d, %s)", ai.Caller.Function, ai.Caller.Index, ai.Caller.Module)
	}
	var s string
	var more []string
	switch ai.Cause {
	case "rust-stack-overflow":
		if ai.OverflowAbove {
			s = fmt.Sprintf("Thread %d aborted in Rust std's stack-overflow handler (see the stack overflow above).", tid)
		} else {
			s = fmt.Sprintf("Thread %d aborted in Rust std's stack-overflow handler: the thread overflowed its stack.", tid)
		}
	case "assertion":
		s = fmt.Sprintf("Thread %d failed an assertion in %s.", tid, who)
		if ai.Assertion != "" {
			s = fmt.Sprintf("Thread %d failed the assertion `%s` in %s", tid, ai.Assertion, who)
			if ai.File != "" && ai.Line > 0 {
				s += fmt.Sprintf(", at %s:%d", ai.File, ai.Line)
			}
			s += "."
		}
	case "heap-corruption":
		s = fmt.Sprintf("Thread %d aborted because glibc's malloc found its heap corrupted (malloc_printerr), in a call from %s: a double free, a write past an allocation, or a free of a pointer malloc never returned.", tid, who)
	case "stack-protector":
		s = fmt.Sprintf("Thread %d aborted because the stack protector found a smashed stack canary in %s: a buffer on its stack was overrun.", tid, who)
	case "fortify":
		s = fmt.Sprintf("Thread %d aborted because a _FORTIFY_SOURCE check found a buffer overflow in %s.", tid, who)
	case "rust-panic":
		s, more = ai.rustPanic(tid, who)
	case "cxx-exception", "cxx-noexcept", "cxx-pure-virtual", "cxx-terminate":
		s = ai.cxxSummary(tid, who)
		if e := ai.Exception; e != nil && e.What != "" {
			more = append(more, "what(): "+e.What)
		}
	case "rust-abort":
		s = fmt.Sprintf("Thread %d called std::process::abort() in %s: an explicit abort, not a panic (no unwinding, no destructors run).", tid, who)
	case "raise":
		in := ""
		if ai.Caller != nil {
			in = ", in " + ai.Caller.Function
		}
		s = fmt.Sprintf("Thread %d raised SIGABRT itself (%s%s).", tid, ai.Raiser, in)
	case "signal":
		if ai.StackCut {
			top, n := "??", "no frame"
			if len(t.Frames) > 0 {
				top, n = nameOr(t.Frames[0].Name(), "??"), fmt.Sprintf("%d frames", len(t.Frames))
			}
			if len(t.Frames) == 1 {
				n = "1 frame"
			}
			s = fmt.Sprintf("Thread %d died of SIGABRT in %s, but its stack ends after %s (%s), so whether abort(), raise() or other code sent it is not known", tid, top, n, t.EndReason)
		} else {
			s = fmt.Sprintf("Thread %d died of SIGABRT without abort() on its stack, and its stack does not show it raising the signal", tid)
		}
		if ai.SelfSent != "" {
			s += fmt.Sprintf("; its own process sent it (%s)", ai.SelfSent)
		}
		s += "."
	default:
		s = fmt.Sprintf("Thread %d called abort() from %s.", tid, who)
	}
	if ai.Message != "" {
		more = append(more, fmt.Sprintf("The C library recorded: %q", ai.Message))
	}
	return s, more
}

// rustPanic words a Rust panic that aborted: one that could not unwind
// (PanicVia), or a panic = "abort" build's, led by what the runtime
// printed when the panic was found in memory.
func (ai *AbortInfo) rustPanic(tid int, who string) (string, []string) {
	var s string
	var more []string
	switch {
	case ai.PanicVia == "panic_in_cleanup":
		s = fmt.Sprintf("Thread %d panicked while unwinding an earlier panic: a destructor (a Drop impl) panicked during the cleanup in %s, and Rust cannot unwind two panics at once, so the runtime aborted (\"panic in a destructor during cleanup\").", tid, who)
	case ai.PanicVia == "panic_cannot_unwind":
		s = fmt.Sprintf("Thread %d let a panic reach a function that cannot unwind (%s: an extern \"C\" function or a drop that must not unwind), so the runtime aborted.", tid, who)
	case ai.PanicVia == "panic_nounwind":
		s = fmt.Sprintf("Thread %d failed a check that cannot unwind in %s (a precondition of an unsafe function, or a panic in a non-unwinding context), so the runtime aborted.", tid, who)
	case ai.Panic != nil:
		// What the program printed leads: it is what a person
		// searching for the crash has.
		s = fmt.Sprintf("Thread %d %s", tid, ai.Panic.Words())
		more = append(more, fmt.Sprintf("It panicked in %s, and the panic aborted the process (panic = \"abort\").", who))
	default:
		s = fmt.Sprintf("Thread %d panicked in %s and the panic aborted the process (panic = \"abort\").", tid, who)
	}
	if p := ai.Panic; p != nil && !strings.HasPrefix(s, fmt.Sprintf("Thread %d panicked at ", tid)) {
		if p.Message != "" {
			more = append(more, "The runtime printed: "+p.Words())
		} else {
			more = append(more, fmt.Sprintf("The panic's location, as the runtime printed it: %s:%d:%d (its message could not be read from the core).",
				p.Location.File, p.Location.Line, p.Location.Column))
		}
	}
	return s, more
}

// cxxSummary says why a C++ program aborted in std::terminate, from the
// runtime function under terminate (Via) and the exception object when it
// was found; who names the caller frame.
func (ai *AbortInfo) cxxSummary(tid int, who string) string {
	e := ai.Exception
	exc := "a C++ exception"
	if e != nil && e.Type != "" {
		exc = fmt.Sprintf("an instance of '%s'", e.Type)
	}
	switch ai.Cause {
	case "cxx-exception":
		if e != nil && e.Type != "" {
			return fmt.Sprintf("Thread %d terminated after throwing %s in %s: nothing caught it (the unwinder found no handler, so %s called std::terminate(), which called abort()).", tid, exc, who, ai.Via)
		}
		return fmt.Sprintf("Thread %d threw a C++ exception in %s that nothing caught: the unwinder found no handler on the stack, so %s called std::terminate(), which called abort() (libstdc++'s default terminate handler prints the exception's type and what() to stderr).", tid, who, ai.Via)
	case "cxx-noexcept":
		if ai.Via == "__cxa_call_terminate" {
			// GCC 13's landing pad of a noexcept function calls
			// __cxa_call_terminate from that function's own frame.
			return fmt.Sprintf("Thread %d let %s escape %s, a function that cannot throw (noexcept, or a destructor during unwinding): its landing pad called __cxa_call_terminate, and std::terminate() called abort().", tid, exc, who)
		}
		return fmt.Sprintf("Thread %d threw %s in %s that reached a function that cannot throw (noexcept, or a destructor during unwinding) further out on its stack: the C++ runtime's personality routine (%s) called std::terminate(), which called abort(), before unwinding any frame.", tid, exc, who, ai.Via)
	case "cxx-pure-virtual":
		what := "a pure virtual function"
		if ai.Via == "__cxa_deleted_virtual" {
			what = "a deleted virtual function"
		}
		return fmt.Sprintf("Thread %d called %s in %s, which reached %s, the vtable's placeholder (a virtual call during the object's construction or destruction, or through a destroyed object), so std::terminate() called abort().", tid, what, who, ai.Via)
	}
	return fmt.Sprintf("Thread %d called std::terminate() from %s directly (no throw, noexcept violation or pure virtual call is on the stack), and terminate called abort().", tid, who)
}

// goSummary words a death the Go runtime caused: what it turned into a
// fatal panic or error, where, and how it then raised SIGABRT.
func (ai *AbortInfo) goSummary() string {
	who := "code the runtime does not name"
	if ai.Caller != nil {
		who = fmt.Sprintf("%s (#%d, %s)", ai.Caller.Function, ai.Caller.Index, ai.Caller.Module)
	}
	how := "raised SIGABRT (runtime.dieFromSignal → runtime.raise)"
	if ai.GoCrash {
		how = "raised SIGABRT to dump core (runtime.crash → runtime.dieFromSignal → runtime.raise, as GOTRACEBACK=crash asks)"
	}
	switch ai.Cause {
	case "go-fatal-signal":
		what := "a fault"
		if ai.GoPanic == "runtime.panicmem" || ai.GoPanic == "runtime.panicmemAddr" {
			what = "an invalid memory access (runtime.panicmem: a nil pointer dereference or a bad address)"
		} else if ai.GoPanic != "" {
			what = fmt.Sprintf("a fault (%s)", ai.GoPanic)
		}
		return fmt.Sprintf("The Go runtime aborted the process after a fatal signal: %s made %s; the runtime turned it into a panic (runtime.sigpanic), nothing recovered it, and the runtime %s.", who, what, how)
	case "go-fatal-panic":
		return fmt.Sprintf("The Go runtime aborted the process after a panic in %s that nothing recovered (runtime.gopanic → runtime.fatalpanic); the runtime %s.", who, how)
	case "go-fatal-error":
		// runtime.throw and runtime.fatal print "fatal error: …" and
		// run the rest on the system stack: when the walk ends there
		// (runtime.systemstack switched from the goroutine's stack),
		// the goroutine that failed is not on this stack at all.
		where := " in " + who
		if ai.Caller == nil && ai.SystemStack {
			where = "; the thread is on the system stack (runtime.systemstack), so the goroutine that failed is not on this stack: the runtime's traceback on stderr names it"
		}
		if ai.GoStackOverflow {
			grow := ""
			if ai.Caller != nil {
				grow = " for " + who
			}
			// newstack doubles the stack it grows (or more, for a
			// big frame) and throws "stack overflow" past
			// runtime.maxstacksize; its other throws are the
			// runtime's internal checks (a split at a bad time, a
			// missing stack). When doubling the stack passes the
			// maximum, the numbers say which it was; else stderr
			// settles it.
			if ai.GoStackSize > 0 && ai.GoMaxStack > 0 && ai.GoStackSize > ai.GoMaxStack/2 {
				return fmt.Sprintf("The Go runtime aborted the process after a goroutine's stack overflowed: runtime.newstack, asked to grow it%s, threw (\"fatal error: stack overflow\"): the stack was %s, and newstack at least doubles a stack it grows, past the runtime's maximum of %s (runtime.maxstacksize, which debug.SetMaxStack sets; 1 GB by default on 64-bit); the runtime %s.", grow, HumanBytes(ai.GoStackSize), HumanBytes(ai.GoMaxStack), how)
			}
			return fmt.Sprintf("The Go runtime aborted the process after a fatal error while growing a goroutine's stack: runtime.newstack, asked to grow it%s, threw, which is how a goroutine's stack overflowed shows (\"goroutine stack exceeds …-byte limit\", \"fatal error: stack overflow\") unless the runtime's message on stderr names one of newstack's internal checks; the runtime %s.", grow, how)
		}
		return fmt.Sprintf("The Go runtime aborted the process after a fatal error (runtime.throw or runtime.fatal, which print \"fatal error: …\" to stderr: concurrent map writes, a deadlock, an unlock of an unlocked mutex, running out of memory…)%s; the runtime %s.", where, how)
	}
	return fmt.Sprintf("The Go runtime's signal handler got a fatal signal it does not turn into a panic and %s.", how)
}
