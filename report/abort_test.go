package report

import (
	"slices"
	"testing"
)

// TestAbortExplain: each sentence an abort's diagnosis can say, from a
// hand-built AbortInfo and thread, word for word.
func TestAbortExplain(t *testing.T) {
	caller := &FrameRef{Index: 3, PC: 0x401136, Function: "parse_header", Module: "/usr/bin/prog"}
	const who = "parse_header (#3, /usr/bin/prog)"
	thread := &Thread{TID: 9, EndReason: "end of stack", Frames: []Frame{{Function: "__pthread_kill_implementation"}, {Function: "raise"}}}
	panicked := &Panic{Message: "index out of bounds", Location: PanicLocation{File: "src/main.rs", Line: 4, Column: 5}}
	noMessage := &Panic{Location: PanicLocation{File: "src/main.rs", Line: 4, Column: 5}}
	const raiseHow = "raised SIGABRT (runtime.dieFromSignal → runtime.raise)"
	const crashHow = "raised SIGABRT to dump core (runtime.crash → runtime.dieFromSignal → runtime.raise, as GOTRACEBACK=crash asks)"
	const fatalError = "The Go runtime aborted the process after a fatal error (runtime.throw or runtime.fatal, which print \"fatal error: …\" to stderr: concurrent map writes, a deadlock, an unlock of an unlocked mutex, running out of memory…)"
	tests := []struct {
		name    string
		ai      AbortInfo
		thread  *Thread // thread if nil
		summary string
		more    []string
	}{
		{"rust stack overflow", AbortInfo{Cause: "rust-stack-overflow"}, nil,
			"Thread 9 aborted in Rust std's stack-overflow handler: the thread overflowed its stack.", nil},
		{"rust stack overflow, diagnosed above", AbortInfo{Cause: "rust-stack-overflow", OverflowAbove: true}, nil,
			"Thread 9 aborted in Rust std's stack-overflow handler (see the stack overflow above).", nil},
		{"assertion, expression unknown", AbortInfo{Cause: "assertion", Caller: caller}, nil,
			"Thread 9 failed an assertion in " + who + ".", nil},
		{"assertion without a line", AbortInfo{Cause: "assertion", Caller: caller, Assertion: "n > 0", File: "parse.c"}, nil,
			"Thread 9 failed the assertion `n > 0` in " + who + ".", nil},
		{"assertion with file and line, and the message", AbortInfo{Cause: "assertion", Caller: caller, Assertion: "n > 0", File: "parse.c", Line: 12,
			Message: "prog: parse.c:12: parse_header: Assertion `n > 0' failed."}, nil,
			"Thread 9 failed the assertion `n > 0` in " + who + ", at parse.c:12.",
			[]string{`The C library recorded: "prog: parse.c:12: parse_header: Assertion ` + "`n > 0'" + ` failed."`}},
		{"heap corruption", AbortInfo{Cause: "heap-corruption", Caller: caller, Message: "free(): double free detected in tcache 2"}, nil,
			"Thread 9 aborted because glibc's malloc found its heap corrupted (malloc_printerr), in a call from " + who + ": a double free, a write past an allocation, or a free of a pointer malloc never returned.",
			[]string{`The C library recorded: "free(): double free detected in tcache 2"`}},
		{"stack protector, unknown caller", AbortInfo{Cause: "stack-protector"}, nil,
			"Thread 9 aborted because the stack protector found a smashed stack canary in an unknown caller: a buffer on its stack was overrun.", nil},
		{"fortify", AbortInfo{Cause: "fortify", Caller: caller}, nil,
			"Thread 9 aborted because a _FORTIFY_SOURCE check found a buffer overflow in " + who + ".", nil},
		{"panic in cleanup, with the panic", AbortInfo{Cause: "rust-panic", Caller: caller, PanicVia: "panic_in_cleanup", Panic: panicked}, nil,
			"Thread 9 panicked while unwinding an earlier panic: a destructor (a Drop impl) panicked during the cleanup in " + who + ", and Rust cannot unwind two panics at once, so the runtime aborted (\"panic in a destructor during cleanup\").",
			[]string{"The runtime printed: panicked at src/main.rs:4:5: index out of bounds"}},
		{"panic cannot unwind, location only", AbortInfo{Cause: "rust-panic", Caller: caller, PanicVia: "panic_cannot_unwind", Panic: noMessage}, nil,
			"Thread 9 let a panic reach a function that cannot unwind (" + who + ": an extern \"C\" function or a drop that must not unwind), so the runtime aborted.",
			[]string{"The panic's location, as the runtime printed it: src/main.rs:4:5 (its message could not be read from the core)."}},
		{"panic nounwind", AbortInfo{Cause: "rust-panic", Caller: caller, PanicVia: "panic_nounwind"}, nil,
			"Thread 9 failed a check that cannot unwind in " + who + " (a precondition of an unsafe function, or a panic in a non-unwinding context), so the runtime aborted.", nil},
		{"panic = abort, printed", AbortInfo{Cause: "rust-panic", Caller: caller, Panic: panicked}, nil,
			"Thread 9 panicked at src/main.rs:4:5: index out of bounds",
			[]string{"It panicked in " + who + ", and the panic aborted the process (panic = \"abort\")."}},
		{"panic = abort, message unread", AbortInfo{Cause: "rust-panic", Caller: caller, Panic: noMessage}, nil,
			"Thread 9 panicked at src/main.rs:4:5 (its message could not be read from the core)",
			[]string{"It panicked in " + who + ", and the panic aborted the process (panic = \"abort\")."}},
		{"panic = abort, panic not found", AbortInfo{Cause: "rust-panic", Caller: caller}, nil,
			"Thread 9 panicked in " + who + " and the panic aborted the process (panic = \"abort\").", nil},
		{"uncaught C++ exception of a known type", AbortInfo{Cause: "cxx-exception", Caller: caller, Via: "__cxa_throw",
			Exception: &CxxException{Type: "std::runtime_error", What: "bad header"}}, nil,
			"Thread 9 terminated after throwing an instance of 'std::runtime_error' in " + who + ": nothing caught it (the unwinder found no handler, so __cxa_throw called std::terminate(), which called abort()).",
			[]string{"what(): bad header"}},
		{"uncaught C++ exception", AbortInfo{Cause: "cxx-exception", Caller: caller, Via: "__cxa_rethrow"}, nil,
			"Thread 9 threw a C++ exception in " + who + " that nothing caught: the unwinder found no handler on the stack, so __cxa_rethrow called std::terminate(), which called abort() (libstdc++'s default terminate handler prints the exception's type and what() to stderr).", nil},
		{"exception escaping noexcept, landing pad", AbortInfo{Cause: "cxx-noexcept", Caller: caller, Via: "__cxa_call_terminate",
			Exception: &CxxException{Type: "std::bad_alloc"}}, nil,
			"Thread 9 let an instance of 'std::bad_alloc' escape " + who + ", a function that cannot throw (noexcept, or a destructor during unwinding): its landing pad called __cxa_call_terminate, and std::terminate() called abort().", nil},
		{"exception reaching noexcept, personality", AbortInfo{Cause: "cxx-noexcept", Caller: caller, Via: "__gxx_personality_v0"}, nil,
			"Thread 9 threw a C++ exception in " + who + " that reached a function that cannot throw (noexcept, or a destructor during unwinding) further out on its stack: the C++ runtime's personality routine (__gxx_personality_v0) called std::terminate(), which called abort(), before unwinding any frame.", nil},
		{"pure virtual call", AbortInfo{Cause: "cxx-pure-virtual", Caller: caller, Via: "__cxa_pure_virtual"}, nil,
			"Thread 9 called a pure virtual function in " + who + ", which reached __cxa_pure_virtual, the vtable's placeholder (a virtual call during the object's construction or destruction, or through a destroyed object), so std::terminate() called abort().", nil},
		{"deleted virtual call", AbortInfo{Cause: "cxx-pure-virtual", Caller: caller, Via: "__cxa_deleted_virtual"}, nil,
			"Thread 9 called a deleted virtual function in " + who + ", which reached __cxa_deleted_virtual, the vtable's placeholder (a virtual call during the object's construction or destruction, or through a destroyed object), so std::terminate() called abort().", nil},
		{"std::terminate called directly", AbortInfo{Cause: "cxx-terminate", Caller: caller}, nil,
			"Thread 9 called std::terminate() from " + who + " directly (no throw, noexcept violation or pure virtual call is on the stack), and terminate called abort().", nil},
		{"std::process::abort", AbortInfo{Cause: "rust-abort", Caller: caller}, nil,
			"Thread 9 called std::process::abort() in " + who + ": an explicit abort, not a panic (no unwinding, no destructors run).", nil},
		{"raised itself", AbortInfo{Cause: "raise", Caller: caller, Raiser: "raise"}, nil,
			"Thread 9 raised SIGABRT itself (raise, in parse_header).", nil},
		{"raised itself, caller unnamed", AbortInfo{Cause: "raise", Raiser: "pthread_kill"}, nil,
			"Thread 9 raised SIGABRT itself (pthread_kill).", nil},
		{"SIGABRT from elsewhere", AbortInfo{Cause: "signal"}, nil,
			"Thread 9 died of SIGABRT without abort() on its stack, and its stack does not show it raising the signal.", nil},
		{"SIGABRT from its own process", AbortInfo{Cause: "signal", SelfSent: "SI_USER"}, nil,
			"Thread 9 died of SIGABRT without abort() on its stack, and its stack does not show it raising the signal; its own process sent it (SI_USER).", nil},
		{"stack cut, frames", AbortInfo{Cause: "signal", StackCut: true, SelfSent: "SI_TKILL"},
			&Thread{TID: 9, EndReason: "unreadable memory", Frames: []Frame{{Function: "read"}, {Module: "libc.so.6", ModuleOffset: 0x1234}}},
			"Thread 9 died of SIGABRT in read, but its stack ends after 2 frames (unreadable memory), so whether abort(), raise() or other code sent it is not known; its own process sent it (SI_TKILL).", nil},
		{"stack cut, one unnamed frame", AbortInfo{Cause: "signal", StackCut: true},
			&Thread{TID: 9, EndReason: "no unwind info", Frames: []Frame{{Module: "libc.so.6", ModuleOffset: 0x1234}}},
			"Thread 9 died of SIGABRT in libc.so.6+0x1234, but its stack ends after 1 frame (no unwind info), so whether abort(), raise() or other code sent it is not known.", nil},
		{"stack cut, no frame", AbortInfo{Cause: "signal", StackCut: true},
			&Thread{TID: 9, EndReason: "unreadable memory"},
			"Thread 9 died of SIGABRT in ??, but its stack ends after no frame (unreadable memory), so whether abort(), raise() or other code sent it is not known.", nil},
		{"abort() called", AbortInfo{Cause: "abort-call", Caller: caller}, nil,
			"Thread 9 called abort() from " + who + ".", nil},
		{"go fatal signal, nil pointer", AbortInfo{Cause: "go-fatal-signal", Caller: caller, GoPanic: "runtime.panicmem"}, nil,
			"The Go runtime aborted the process after a fatal signal: " + who + " made an invalid memory access (runtime.panicmem: a nil pointer dereference or a bad address); the runtime turned it into a panic (runtime.sigpanic), nothing recovered it, and the runtime " + raiseHow + ".", nil},
		{"go fatal signal, other fault, GOTRACEBACK=crash", AbortInfo{Cause: "go-fatal-signal", Caller: caller, GoPanic: "runtime.panicdivide", GoCrash: true}, nil,
			"The Go runtime aborted the process after a fatal signal: " + who + " made a fault (runtime.panicdivide); the runtime turned it into a panic (runtime.sigpanic), nothing recovered it, and the runtime " + crashHow + ".", nil},
		{"go fatal signal, unnamed", AbortInfo{Cause: "go-fatal-signal"}, nil,
			"The Go runtime aborted the process after a fatal signal: code the runtime does not name made a fault; the runtime turned it into a panic (runtime.sigpanic), nothing recovered it, and the runtime " + raiseHow + ".", nil},
		{"go fatal panic", AbortInfo{Cause: "go-fatal-panic", Caller: caller}, nil,
			"The Go runtime aborted the process after a panic in " + who + " that nothing recovered (runtime.gopanic → runtime.fatalpanic); the runtime " + raiseHow + ".", nil},
		{"go fatal error", AbortInfo{Cause: "go-fatal-error", Caller: caller, SystemStack: true}, nil,
			fatalError + " in " + who + "; the runtime " + raiseHow + ".", nil},
		{"go fatal error on the system stack", AbortInfo{Cause: "go-fatal-error", SystemStack: true, GoCrash: true}, nil,
			fatalError + "; the thread is on the system stack (runtime.systemstack), so the goroutine that failed is not on this stack: the runtime's traceback on stderr names it; the runtime " + crashHow + ".", nil},
		{"go fatal error, unnamed", AbortInfo{Cause: "go-fatal-error"}, nil,
			fatalError + " in code the runtime does not name; the runtime " + raiseHow + ".", nil},
		{"go signal", AbortInfo{Cause: "go-signal"}, nil,
			"The Go runtime's signal handler got a fatal signal it does not turn into a panic and " + raiseHow + ".", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := tt.thread
			if th == nil {
				th = thread
			}
			summary, more := tt.ai.Explain(th)
			if summary != tt.summary {
				t.Errorf("summary\n got %s\nwant %s", summary, tt.summary)
			}
			if !slices.Equal(more, tt.more) {
				t.Errorf("explanation\n got %q\nwant %q", more, tt.more)
			}
		})
	}
}
