package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestAbortMachinery: the panic runtime is recognized by its own symbols,
// not by crate prefixes that a user crate may share (the rust-panic-abort
// fixture's crate is called panic_abort).
func TestAbortMachinery(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"raise", true},
		{"abort", true},
		{"__pthread_kill_implementation", true},
		{"__assert_fail", true},
		{"std::process::abort", true},
		{"std::sys::pal::unix::abort_internal", true},
		{"__rustc::__rust_abort", true},
		{"__rustc::__rust_start_panic", true},
		{"__rustc::rust_panic", true},
		{"__rustc::rust_begin_unwind", true},
		{"rust_panic", true},
		{"__rust_start_panic", true},
		{"panic_abort::__rust_start_panic::abort", true},
		{"std::panicking::panic_with_hook", true},
		{"std::panicking::panic_handler::{closure#0}", true},
		{"std::sys::backtrace::__rust_end_short_backtrace::<std::panicking::panic_handler::{closure#0}, !>", true},
		{"core::panicking::panic_bounds_check", true},
		{"core::option::unwrap_failed", true},
		{"", true},
		// Compiler-split parts of the machinery, as gdb names them and
		// raw (GCC's names with a leading underscore are left alone).
		{"__assert_fail_base.cold", true},
		{"abort[cold]", true},
		{"__libc_message.part.0", true},
		// A user crate named panic_abort, and user functions whose names
		// merely start like the machinery's.
		{"panic_abort::lookup", false},
		{"panic_abort::main", false},
		{"abort_transaction", false},
		{"raise_salary", false},
		{"rust_panic_handler_test::run", false},
		{"main", false},
	}
	for _, tt := range tests {
		if got := isAbortMachinery(tt.name); got != tt.want {
			t.Errorf("isAbortMachinery(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

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
		{"rust-panic-abort", "abort", "rust-panic", "panic_abort::lookup", `panic = "abort"`},
		{"rust-panic-nested", "abort", "rust-panic", "nested_panic::parse_config", "panic in a destructor during cleanup"},
		{"rust-process-abort", "abort", "rust-abort", "process_abort::validate_header", "std::process::abort()"},
		{"rust-ud2", "illegal-instruction", "", "", "executed ud2 in trap_ud2::checked_slot"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			f := testfixture.Get(t, tt.fixture)
			r, err := Analyze(f.CoreZst, options(f))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Diagnosis) == 0 || r.Diagnosis[0].Kind != tt.kind {
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
