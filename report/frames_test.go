package report

import "testing"

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
		if got := IsAbortMachinery(tt.name); got != tt.want {
			t.Errorf("IsAbortMachinery(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
