package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// TestRustPanicCaller: on the real panic = "abort" core the abort names the
// user function that panicked, in a crate called panic_abort.
func TestRustPanicCaller(t *testing.T) {
	_, r := analyzeFixture(t, "rust-panic-abort")
	for _, d := range r.Diagnosis {
		if d.Kind != "abort" {
			continue
		}
		if d.AbortInfo.Cause != "rust-panic" || d.AbortInfo.Caller == nil || d.AbortInfo.Caller.Function != "panic_abort::lookup" {
			t.Errorf("abort: cause %q, caller %+v; want rust-panic in panic_abort::lookup", d.AbortInfo.Cause, d.AbortInfo.Caller)
		}
		return
	}
	t.Error("no abort diagnosis")
}

// TestRustAborts: real Rust cores of a panic during cleanup (unwinding), a
// direct std::process::abort and a ud2 trap name the user function and
// the mechanism.
func TestRustAborts(t *testing.T) {
	tests := []struct{ fixture, kind, cause, caller, summary string }{
		{"rust-panic-abort", "abort", "rust-panic", "panic_abort::lookup", "panicked at src/main.rs:7:5: index out of bounds: the len is 3 but the index is 11"},
		{"rust-panic-nested", "abort", "rust-panic", "nested_panic::parse_config", "panic in a destructor during cleanup"},
		{"rust-process-abort", "abort", "rust-abort", "process_abort::validate_header", "std::process::abort()"},
		{"rust-ud2", "illegal-instruction", "", "", "executed ud2 in trap_ud2::checked_slot"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			f := testfixture.Get(t, tt.fixture)
			r := fixtureReport(t, f)
			if len(r.Diagnosis) == 0 || string(r.Diagnosis[0].Kind) != tt.kind {
				t.Fatalf("diagnoses %+v, want %s first", r.Diagnosis, tt.kind)
			}
			d := r.Diagnosis[0]
			if !strings.Contains(d.Summary, tt.summary) {
				t.Errorf("summary %q, want it to say %q", d.Summary, tt.summary)
			}
			if tt.cause != "" && (d.AbortInfo.Cause != tt.cause || d.AbortInfo.Caller == nil || d.AbortInfo.Caller.Function != tt.caller) {
				t.Errorf("cause %q caller %+v, want %s in %s", d.AbortInfo.Cause, d.AbortInfo.Caller, tt.cause, tt.caller)
			}
			for _, w := range r.Warnings {
				t.Errorf("warning: %s", w)
			}
		})
	}
}

// TestGoStackOverflowNarration: a Go fatal error is told as a stack
// overflow only when runtime.newstack itself threw; running out of memory
// while growing a goroutine's stack throws from runtime.stackalloc under
// newstack ("fatal error: out of memory", a live core under prlimit --as).
func TestGoStackOverflowNarration(t *testing.T) {
	fr := func(names ...string) []report.Frame {
		var out []report.Frame
		for i, n := range names {
			out = append(out, report.Frame{Index: i, PC: report.Addr(0x401000 + 16*i), Function: n, Module: "prog"})
		}
		return out
	}
	top := []string{"runtime.raise.abi0", "runtime.dieFromSignal", "runtime.fatalthrow.func1", "runtime.systemstack.abi0", "runtime.fatalthrow", "runtime.throw"}
	for _, tt := range []struct {
		name     string
		frames   []string
		overflow bool
	}{
		{"overflow", append(append([]string{}, top...), "runtime.newstack", "runtime.morestack.abi0", "main.rec", "main.rec"), true},
		{"out of memory growing a stack", append(append([]string{}, top...), "runtime.stackalloc", "runtime.copystack", "runtime.newstack", "runtime.morestack.abi0", "main.rec"), false},
	} {
		frames := fr(tt.frames...)
		th := &report.Thread{TID: 1, Frames: frames}
		d := goAbort(th, &goDeath{Cause: "fatal-error", Fault: -1, Caller: len(frames) - 1}, nil)
		if d.AbortInfo.GoStackOverflow != tt.overflow || strings.Contains(d.Summary, "stack overflowed") != tt.overflow {
			t.Errorf("%s: overflow %v, want %v; summary %q", tt.name, d.AbortInfo.GoStackOverflow, tt.overflow, d.Summary)
		}
	}
}
