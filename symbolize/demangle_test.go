package symbolize

import "testing"

func TestDemangle(t *testing.T) {
	tests := []struct{ in, want string }{
		// Rust legacy, from a rustc 1.95 binary (nm).
		{"_ZN3std3sys9backtrace28__rust_begin_short_backtrace17hecece55ec91990d8E", "std::sys::backtrace::__rust_begin_short_backtrace"},
		{"_ZN1m7recurse17h2250b2b709c2462eE", "m::recurse"},
		{"_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h1234567890abcdefE",
			"core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>"},
		{"_ZN4core3ops8function6FnOnce40call_once$u7b$$u7b$vtable.shim$u7d$$u7d$17h5298b12a96239964E",
			"core::ops::function::FnOnce::call_once{{vtable.shim}}"},
		{"_ZN3foo6_$u7b$17hecece55ec91990d8E", "foo::{"},
		// LLVM's promoted-local suffix is dropped.
		{"_ZN1m7recurse17h2250b2b709c2462eE.llvm.1234567", "m::recurse"},
		// Rust v0, from the same binary.
		{"_RNvMs0_NtNtNtCsjrHSEGnQ3l9_3std3sys6thread4unixNtB5_6Thread4join", "<std::sys::thread::unix::Thread>::join"},
		// C++ (not Rust: no hash element).
		{"_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)"},
		{"_ZN3foo3barEv", "foo::bar()"},
		// Not mangled, or suffixed.
		{"main", "main"},
		{"memcpy@plt", "memcpy@plt"},
		{"_ZN1m7recurse17h2250b2b709c2462eE@plt", "m::recurse@plt"},
		// Malformed: returned unchanged.
		{"_ZN999foo17h2250b2b709c2462eE", "_ZN999foo17h2250b2b709c2462eE"},
		{"_ZN3foo$17h2250b2b709c2462eE", "_ZN3foo$17h2250b2b709c2462eE"},
		{"_R", "_R"},
	}
	for _, tt := range tests {
		if got := Demangle(tt.in); got != tt.want {
			t.Errorf("Demangle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzDemangle(f *testing.F) {
	for _, s := range []string{"_ZN1m7recurse17h2250b2b709c2462eE", "_RNvCs1234_7mycrate3foo", "_ZNSt6vectorIiSaIiEE9push_backERKi", "_ZN3foo6_$u7b$17hecece55ec91990d8E"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		Demangle(s)
	})
}
