package symbolize

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

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
		// Rust v0: two empty closure names ("0" "0") followed by the unit
		// type; ianlancetaylor/demangle reads "00" as one length and
		// loses the "()" (c++filt: std[3c1c0]::foo::<a[3]::b::{closure#0}::{closure#0}, ()>).
		{"_RINvCs1234_3std3fooNCNCNvCs1_1a1b00uE", "std::foo::<a::b::{closure#0}::{closure#0}, ()>"},
		// From librustc_driver (rustc 1.95), as c++filt prints it less the crate hashes.
		{"_RINvNtNtCsjrHSEGnQ3l9_3std3sys9backtrace28___rust_begin_short_backtraceNCINvXs0_Cs59TyybOfEHA_18rustc_codegen_llvmNtB1g_18LlvmCodegenBackendNtNtNtCslKGqiwnqz1t_17rustc_codegen_ssa6traits7backend19ExtraBackendMethods18spawn_named_threadNCINvNtNtB2k_4back5write10spawn_workB1O_E0uE0uEB1g_",
			"std::sys::backtrace::__rust_begin_short_backtrace::<<rustc_codegen_llvm::LlvmCodegenBackend as rustc_codegen_ssa::traits::backend::ExtraBackendMethods>::spawn_named_thread<rustc_codegen_ssa::back::write::spawn_work<rustc_codegen_llvm::LlvmCodegenBackend>::{closure#0}, ()>::{closure#0}, ()>"},
		// Generic arguments: references, lifetimes, tuples, arrays with
		// constants, dyn traits with associated types, fn pointers.
		{"_RINvCs1_1a1fRL_uE", "a::f::<&()>"},
		{"_RINvCs1_1a1fTlhEE", "a::f::<(i32, u8)>"},
		{"_RINvCs1_1a1fTlEE", "a::f::<(i32,)>"},
		{"_RINvCs1_1a1fAhj8_E", "a::f::<[u8; 8]>"},
		{"_RINvCs1_1a1fKanb_E", "a::f::<-11>"},
		{"_RINvCs1_1a1fKc61_Kb1_E", "a::f::<'a', true>"},
		{"_RINvCs1_1a1fFG_KCRL0_hEuE", "a::f::<for<'a> extern \"C\" fn(&'a u8)>"},
		{"_RINvCs1_1a1fDINtCs1_1b1TlEp4ItemhEL_E", "a::f::<dyn b::T<i32, Item = u8>>"},
		{"_RNvXCs1_1aNtB2_1SNtB2_1T1m", "<a::S as a::T>::m"},
		{"_RNvCs1_1au8gdel_5qa", "a::gödel"},
		// gdb names a BOLT/GCC .cold fragment of a v0 function by the
		// function (librustc_driver's sem_wait_forever.cold in .text.cold).
		{"_RNvNtNtNtCshZqcIsTqeTD_5ctrlc8platform4unix14implementation16sem_wait_forever.cold", "ctrlc::platform::unix::implementation::sem_wait_forever"},
		// Malformed v0: backrefs must point backwards, depth is bounded.
		{"_RNvB_1a", "_RNvB_1a"},
		{"_RNvCs1_1a2", "_RNvCs1_1a2"},
		// C++ (not Rust: no hash element).
		{"_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)"},
		{"_ZN3foo3barEv", "foo::bar()"},
		// GCC's clones of C++ functions, as gdb prints them.
		{"_ZN3foo3barEv.cold", "foo::bar() [clone .cold]"},
		{"_ZN3foo3barEv.part.0", "foo::bar() [clone .part.0]"},
		// Rust legacy with a clone suffix: gdb drops the suffix.
		{"_ZN3foo3bar17h0123456789abcdefE.cold", "foo::bar"},
		// GCC's clones of C functions, as gdb 13 prints them (info symbol).
		{"parse.cold", "parse[cold]"},
		{"foo.part.0", "foo.part"},
		{"foo.constprop.0", "foo.constprop"},
		{"bar.constprop.0.cold", "bar.constprop[cold]"},
		{"foo.cold.3", "foo.cold"},
		{"foo.12", "foo"},
		{"_foo.cold", "_foo.cold"},
		{"Foo.cold", "Foo.cold"},
		{"fooX.part.0", "fooX.part.0"},
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

// TestDemangleRustV0Corpus demangles every v0 symbol librustc_driver
// exports and compares with c++filt (GNU libiberty), which prints crate
// disambiguators ("std[e28293b1aa0f68bd]") and constants' types
// ("8: usize") that Demangle leaves out. It runs when rustc, nm and c++filt
// are installed.
func TestDemangleRustV0Corpus(t *testing.T) {
	lib := testfixture.RustcDriver(t)
	nm, err := exec.Command(testfixture.Tool(t, "nm"), "-D", "--defined-only", lib).Output()
	if err != nil {
		t.Fatalf("nm %s: %v", lib, err)
	}
	var syms []string
	for _, line := range strings.Split(string(nm), "\n") {
		f := strings.Fields(line)
		// Symbols with a "." suffix are printed differently by c++filt.
		if len(f) == 3 && strings.HasPrefix(f[2], "_R") && !strings.Contains(f[2], ".") {
			syms = append(syms, f[2])
		}
	}
	if len(syms) < 100 {
		t.Fatalf("only %d v0 symbols in %s", len(syms), lib)
	}
	cmd := exec.Command(testfixture.Tool(t, "c++filt"))
	cmd.Stdin = strings.NewReader(strings.Join(syms, "\n") + "\n")
	filtered, err := cmd.Output()
	if err != nil {
		t.Fatalf("c++filt: %v", err)
	}
	want := strings.Split(strings.TrimSuffix(string(filtered), "\n"), "\n")
	if len(want) != len(syms) {
		t.Fatalf("c++filt printed %d lines for %d symbols", len(want), len(syms))
	}
	hash := regexp.MustCompile(`\[[0-9a-f]+\]`)
	constType := regexp.MustCompile(`: (i8|i16|i32|i64|i128|isize|u8|u16|u32|u64|u128|usize|bool|char)\b`)
	bad := 0
	for i, sym := range syms {
		w := constType.ReplaceAllString(hash.ReplaceAllString(want[i], ""), "")
		if got := Demangle(sym); got != w {
			if bad++; bad <= 10 {
				t.Errorf("Demangle(%q)\n got %q\nwant %q", sym, got, w)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d symbols differ from c++filt", bad, len(syms))
	}
	t.Logf("%d v0 symbols from %s agree with c++filt", len(syms), filepath.Base(lib))
}
