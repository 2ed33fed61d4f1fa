package analyze

import (
	"strings"

	"github.com/coreview/coreview/report"
)

// diagnoseAbort explains a SIGABRT from the crashed thread's frames.
func (a *analysis) diagnoseAbort(haveOverflow bool) *report.Diagnosis {
	c := a.s.Core
	ct := a.crashed()
	if c.Siginfo == nil || c.Siginfo.Signo != report.SIGABRT || ct == nil {
		return nil
	}
	t := ct.thread
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
	for i, f := range t.Frames {
		if f.Signal {
			break
		}
		if i > 0 && !report.IsAbortMachinery(f.Function) && !report.IsRuntimeModule(f.Module) {
			info.Caller = &report.FrameRef{Index: i, PC: f.PC, Function: f.Name(), Module: f.Module}
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
	if info.Cause == "rust-panic" {
		switch {
		case has("panic_in_cleanup"):
			info.Panic = "in-cleanup"
		case has("panic_cannot_unwind"):
			info.Panic = "cannot-unwind"
		case has("panic_nounwind"):
			info.Panic = "nounwind"
		}
	}
	info.AfterOverflow = haveOverflow
	d := &report.Diagnosis{Kind: report.KindAbort, Thread: t.TID, AbortInfo: info}
	d.Summary, d.Explanation = info.Explain(t.TID)
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
