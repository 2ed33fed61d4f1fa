package report

import "testing"

func TestStripGenerics(t *testing.T) {
	tests := []struct{ in, want string }{
		{"core::ptr::drop_in_place::<alloc::string::String>", "core::ptr::drop_in_place"},
		{"std::rt::lang_start::<()>::{closure#0}", "std::rt::lang_start::{closure#0}"},
		{"<std::sys::thread::unix::Thread>::new::thread_start", "<std::sys::thread::unix::Thread>::new::thread_start"},
		{"<alloc::vec::Vec<u8> as core::clone::Clone>::clone", "<alloc::vec::Vec as core::clone::Clone>::clone"},
		{"std::vector<int, std::allocator<int> >::push_back(int const&)", "std::vector::push_back(int const&)"},
		{"rec", "rec"},
	}
	for _, tt := range tests {
		if got := stripGenerics(tt.in); got != tt.want {
			t.Errorf("stripGenerics(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStripClone: the compiler's clone marks leave signature names.
func TestStripClone(t *testing.T) {
	for in, want := range map[string]string{
		"foo::bar() [clone .cold]":          "foo::bar()",
		"foo::bar() [clone .part.0]":        "foo::bar()",
		"f() [clone .isra.0] [clone .cold]": "f()",
		"parse[cold]":                       "parse",
		"bar.constprop[cold]":               "bar.constprop",
		"std::foo::<a, b>":                  "std::foo::<a, b>",
		"arr[i]":                            "arr[i]",
		"__assert_fail_base.cold":           "__assert_fail_base",
		"_Frob.isra.0":                      "_Frob",
		"__libc_message.part.0":             "__libc_message",
	} {
		if got := stripClone(in); got != want {
			t.Errorf("stripClone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSignatureStartupFrames: start-up frames enter the signature only
// when the crash happened before main (an early-init diagnosis), not
// whenever a pointer was unrelocated.
func TestSignatureStartupFrames(t *testing.T) {
	frames := []Frame{{Function: ""}, {Function: "callit", Module: "p0"}, {Function: "main", Module: "p0"},
		{Function: "__libc_start_main", Module: "libc.so.6"}, {Function: "_start", Module: "p0"}}
	afterMain := &Report{Signal: &Signal{Name: "SIGSEGV"}, Threads: []Thread{{Crashed: true, Frames: frames}},
		Diagnosis: []Diagnosis{{Kind: "unrelocated-pointer"}, {Kind: "bad-pc"}}}
	if sig, _ := afterMain.ComputeSignature(); sig != "SIGSEGV unrelocated-pointer: callit ← main" {
		t.Errorf("after main: %q", sig)
	}
	before := &Report{Signal: &Signal{Name: "SIGSEGV"}, Threads: []Thread{{Crashed: true, Frames: []Frame{{Function: "memcpy", Module: "prog"},
		{Function: "__copy_tls", Module: "prog"}, {Function: "_start", Module: "prog"}}}},
		Diagnosis: []Diagnosis{{Kind: "unrelocated-pointer"}, {Kind: "early-init"}}}
	if sig, _ := before.ComputeSignature(); sig != "SIGSEGV unrelocated-pointer: memcpy ← __copy_tls ← _start" {
		t.Errorf("before main: %q", sig)
	}
}

// TestSignatureSkipsTailCalls: tail-call frames, like inlined ones, are
// not physical: the signature is the same with or without them.
func TestSignatureSkipsTailCalls(t *testing.T) {
	frames := func(tail bool) []Frame {
		caller := Frame{Index: 1, Function: "sort_twice", Module: "prog"}
		if tail {
			caller.Inlined = []Frame{{Index: 1, Function: "sort_items", Module: "prog", Method: MethodTailCall},
				{Index: 1, Function: "qsort", Module: "libc.so.6", Method: MethodTailCall}}
		}
		return []Frame{{Function: "by_weight", Module: "libweights.so"}, caller, {Index: 2, Function: "main", Module: "prog"}}
	}
	var sigs []string
	for _, tail := range []bool{false, true} {
		r := &Report{Signal: &Signal{Name: "SIGSEGV"}, Threads: []Thread{{Crashed: true, Frames: frames(tail)}},
			Diagnosis: []Diagnosis{{Kind: "null-dereference"}}}
		sig, _ := r.ComputeSignature()
		sigs = append(sigs, sig)
	}
	if sigs[0] != sigs[1] || sigs[0] != "SIGSEGV null-dereference: by_weight ← sort_twice ← main" {
		t.Errorf("signatures %q", sigs)
	}
}
