package analyze

import (
	"fmt"
	"strings"
)

// AbortInfo is the detail of an "abort" diagnosis: who called abort and
// what message the C library recorded.
type AbortInfo struct {
	// Cause is "rust-panic", "rust-stack-overflow", "rust-abort" (a direct
	// std::process::abort), "assertion", "heap-corruption", "fortify",
	// "stack-protector", "abort-call".
	Cause string `json:"cause"`
	// Caller is the function that started the abort: the panicking
	// function, the one that failed an assertion, the one that called
	// abort.
	Caller *FrameRef `json:"caller,omitempty"`
	// Message is glibc's __abort_msg: the text assert, malloc_printerr
	// and __fortify_fail printed before aborting.
	Message string `json:"message,omitempty"`
	// Assertion, File, Line and Function are what a failed assert()
	// passed to __assert_fail, read from the caller's code or, failing
	// that, from Message.
	Assertion string `json:"assertion,omitempty"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
	Function  string `json:"function,omitempty"`
}

// abortMachinery are the functions of the abort path itself, skipped to
// find who aborted: the C library's abort, raise and failure reporters, and
// Rust std's panic runtime. Names are matched whole, so that a user crate
// that happens to be called panic_abort or rust_panic is not skipped.
var abortMachinery = map[string]bool{
	"raise": true, "abort": true, "gsignal": true, "pthread_kill": true, "__pthread_kill": true,
	"__pthread_kill_implementation": true, "__pthread_kill_internal": true, "__assert_fail": true,
	"__assert_fail_base": true, "__assert_perror_fail": true, "__libc_message": true, "__libc_message_impl": true,
	"malloc_printerr": true, "__fortify_fail": true, "__chk_fail": true, "__stack_chk_fail": true,
	"__stack_chk_fail_local": true,
	// Rust's panic runtime: legacy (unmangled #[no_mangle]) names, then
	// panic_abort's entry point by its crate path.
	"rust_panic": true, "rust_begin_unwind": true, "__rust_start_panic": true, "__rust_abort": true,
	"__rust_panic_cleanup": true, "__rust_drop_panic": true, "__rust_foreign_exception": true,
	"panic_abort::__rust_start_panic": true, "panic_abort::__rust_start_panic::abort": true,
	"panic_unwind::__rust_start_panic": true, "core::result::unwrap_failed": true,
	"core::option::unwrap_failed": true, "core::option::expect_failed": true,
	"std::process::abort": true, "std::sys::pal::unix::abort_internal": true, "std::sys::abort_internal": true,
	"std::sys::backtrace::__rust_end_short_backtrace": true,
}

// abortMachineryPrefixes are namespaces that hold only panic and abort
// machinery: std's and core's panicking modules, and __rustc::, where
// rustc 1.9x puts the runtime's internal symbols (__rustc::rust_panic,
// __rustc::__rust_start_panic, __rustc::rust_begin_unwind,
// __rustc::__rust_abort). std::rt:: is the runtime around main.
var abortMachineryPrefixes = []string{
	"__GI_", "std::panicking::", "<std::panicking::", "core::panicking::", "__rustc::", "std::rt::",
	"std::sys::backtrace::__rust_end_short_backtrace::<", "core::result::Result<", "core::option::Option<",
	"<core::result::Result<", "<core::option::Option<",
}

func isAbortMachinery(name string) bool {
	// A compiler-split part of the machinery is machinery too
	// (__assert_fail_base.cold, abort[cold]).
	name = stripClone(name)
	if name == "" || abortMachinery[name] {
		return true
	}
	for _, p := range abortMachineryPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// diagnoseAbort explains a SIGABRT from the crashed thread's frames.
func (a *analysis) diagnoseAbort(haveOverflow bool) *Diagnosis {
	c := a.s.Core
	if c.Siginfo == nil || c.Siginfo.Signo != 6 || len(a.report.Threads) == 0 {
		return nil
	}
	t := &a.report.Threads[0]
	has := func(sub string) bool {
		for _, f := range t.Frames {
			if strings.Contains(f.Function, sub) {
				return true
			}
		}
		return false
	}
	info := &AbortInfo{Cause: "abort-call"}
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
	for i, f := range t.Frames {
		if f.Signal {
			break
		}
		if i > 0 && !isAbortMachinery(f.Function) && !runtimeModule(f.Module) {
			info.Caller = &FrameRef{Index: i, PC: f.PC, Function: frameName(f), Module: f.Module}
			break
		}
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
	tid := t.TID
	d := &Diagnosis{Kind: "abort", Thread: tid, AbortInfo: info}
	who := "an unknown caller"
	if info.Caller != nil {
		who = fmt.Sprintf("%s (#%d, %s)", info.Caller.Function, info.Caller.Index, info.Caller.Module)
	}
	switch info.Cause {
	case "rust-stack-overflow":
		if haveOverflow {
			d.Summary = fmt.Sprintf("Thread %d aborted in Rust std's stack-overflow handler (see the stack overflow above).", tid)
		} else {
			d.Summary = fmt.Sprintf("Thread %d aborted in Rust std's stack-overflow handler: the thread overflowed its stack.", tid)
		}
	case "assertion":
		d.Summary = fmt.Sprintf("Thread %d failed an assertion in %s.", tid, who)
		if info.Assertion != "" {
			d.Summary = fmt.Sprintf("Thread %d failed the assertion `%s` in %s", tid, info.Assertion, who)
			if info.File != "" && info.Line > 0 {
				d.Summary += fmt.Sprintf(", at %s:%d", info.File, info.Line)
			}
			d.Summary += "."
		}
	case "heap-corruption":
		d.Summary = fmt.Sprintf("Thread %d aborted because glibc's malloc found its heap corrupted (malloc_printerr), in a call from %s: a double free, a write past an allocation, or a free of a pointer malloc never returned.", tid, who)
	case "stack-protector":
		d.Summary = fmt.Sprintf("Thread %d aborted because the stack protector found a smashed stack canary in %s: a buffer on its stack was overrun.", tid, who)
	case "fortify":
		d.Summary = fmt.Sprintf("Thread %d aborted because a _FORTIFY_SOURCE check found a buffer overflow in %s.", tid, who)
	case "rust-panic":
		switch {
		case has("panic_in_cleanup"):
			d.Summary = fmt.Sprintf("Thread %d panicked while unwinding an earlier panic: a destructor (a Drop impl) panicked during the cleanup in %s, and Rust cannot unwind two panics at once, so the runtime aborted (\"panic in a destructor during cleanup\").", tid, who)
		case has("panic_cannot_unwind"):
			d.Summary = fmt.Sprintf("Thread %d let a panic reach a function that cannot unwind (%s: an extern \"C\" function or a drop that must not unwind), so the runtime aborted.", tid, who)
		case has("panic_nounwind"):
			d.Summary = fmt.Sprintf("Thread %d failed a check that cannot unwind in %s (a precondition of an unsafe function, or a panic in a non-unwinding context), so the runtime aborted.", tid, who)
		default:
			d.Summary = fmt.Sprintf("Thread %d panicked in %s and the panic aborted the process (panic = \"abort\").", tid, who)
		}
	case "rust-abort":
		d.Summary = fmt.Sprintf("Thread %d called std::process::abort() in %s: an explicit abort, not a panic (no unwinding, no destructors run).", tid, who)
	default:
		d.Summary = fmt.Sprintf("Thread %d called abort() from %s.", tid, who)
	}
	if info.Message != "" {
		d.Explanation = append(d.Explanation, fmt.Sprintf("The C library recorded: %q", info.Message))
	}
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
		p, err := a.s.Mem.ReadUint64(sym.Addr + m.Bias)
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
