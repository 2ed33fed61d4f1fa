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

// TestSignatureClasses: what keeps different crashes apart and puts the
// same one together: the executable's name, unnamed frames as module and
// offset, the Go runtime's panic machinery skipped like abort's, the start
// at the faulting frame the analysis found, and snapshots named as such.
func TestSignatureClasses(t *testing.T) {
	libc := func(fn string) Frame { return Frame{Function: fn, Module: "libc.so.6"} }
	unnamed := func(m string, off Addr) Frame { return Frame{Module: m, ModuleOffset: off} }
	killed := func(exe string, frames ...Frame) *Report {
		return &Report{Process: Process{Exe: "/usr/bin/" + exe}, Signal: &Signal{Name: "SIGSEGV"},
			Threads: []Thread{{Crashed: true, Frames: frames}}, Diagnosis: []Diagnosis{{Kind: KindKilled}}}
	}
	sleep, _ := killed("sleep", libc("clock_nanosleep"), unnamed("sleep", 0x64af)).ComputeSignature()
	sort, _ := killed("sort", libc("read"), unnamed("sort", 0x772e)).ComputeSignature()
	if sleep != "SIGSEGV killed in sleep: sleep+0x64af" || sort != "SIGSEGV killed in sort: sort+0x772e" {
		t.Errorf("sleep %q, sort %q", sleep, sort)
	}
	goFault := func(fn string) string {
		r := &Report{Process: Process{Exe: "/x/gonil"}, Signal: &Signal{Name: "SIGABRT"}, Diagnosis: []Diagnosis{{Kind: KindAbort}},
			Threads: []Thread{{Crashed: true, Frames: []Frame{{Function: "runtime.raise.abi0", Module: "gonil"},
				{Function: "runtime.dieFromSignal", Module: "gonil"}, {Signal: true}, {Function: "runtime.fatalpanic", Module: "gonil"},
				{Function: "runtime.gopanic", Module: "gonil"}, {Function: "runtime.sigpanic", Module: "gonil"}, {Function: fn, Module: "gonil"},
				{Function: "main.main", Module: "gonil"}, {Function: "runtime.main", Module: "gonil"}, {Function: "runtime.goexit.abi0", Module: "gonil"}}}}}
		sig, _ := r.ComputeSignature()
		return sig
	}
	if a, b := goFault("main.first"), goFault("main.second"); a != "SIGABRT abort in gonil: main.first ← main.main" || a == b {
		t.Errorf("go: %q, %q", a, b)
	}
	handler := &Report{Process: Process{Command: "inhandler"}, Signal: &Signal{Name: "SIGSEGV"}, Diagnosis: []Diagnosis{{Kind: KindNullDereference}},
		Threads: []Thread{{Crashed: true, Frames: []Frame{{Function: "handler", Module: "p"}, {Signal: true}, libc("raise"), {Function: "main", Module: "p"}}}}}
	if sig, _ := handler.ComputeSignature(); sig != "SIGSEGV null-dereference in inhandler: handler ← main" {
		t.Errorf("fault in a handler: %q", sig)
	}
	handler.SignatureStart = 2
	if sig, _ := handler.ComputeSignature(); sig != "SIGSEGV null-dereference in inhandler: main" {
		t.Errorf("fault behind a handler: %q", sig)
	}
	snap := &Report{Snapshot: true, Process: Process{Exe: "/usr/bin/sleep"}, Threads: []Thread{{Frames: []Frame{libc("clock_nanosleep"), unnamed("sleep", 0x64af)}}}}
	if sig, _ := snap.ComputeSignature(); sig != "snapshot in sleep: sleep+0x64af" {
		t.Errorf("snapshot: %q", sig)
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

// TestSignatureUnnamedMachinery: a stripped C++ runtime's unnamed frames
// between abort and std::terminate (the terminate handler) are the abort
// path, skipped; an unnamed frame where the thread was, above any
// machinery, and one between the program's own frames are kept.
func TestSignatureUnnamedMachinery(t *testing.T) {
	r := &Report{Signal: &Signal{Name: "SIGABRT"}, Process: Process{Exe: "/bin/p"}, Threads: []Thread{{Crashed: true, Frames: []Frame{
		{Function: "raise", Module: "libc.so.6"}, {Function: "abort", Module: "libc.so.6"},
		{Module: "libstdc++.so.6", ModuleOffset: 0x9d919}, {Module: "libstdc++.so.6", ModuleOffset: 0xa8e1a},
		{Function: "std::terminate()", Module: "libstdc++.so.6"}, {Function: "__cxa_throw", Module: "libstdc++.so.6"},
		{Function: "thrower(int)", Module: "p"}, {Module: "p", ModuleOffset: 0x1234}, {Function: "main", Module: "p"},
	}}}, Diagnosis: []Diagnosis{{Kind: KindAbort}}}
	if sig, _ := r.ComputeSignature(); sig != "SIGABRT abort in p: thrower(int) ← p+0x1234 ← main" {
		t.Errorf("signature %q", sig)
	}
	top := &Report{Signal: &Signal{Name: "SIGSEGV"}, Process: Process{Exe: "/bin/p"}, Threads: []Thread{{Crashed: true, Frames: []Frame{
		{Module: "libz.so.1", ModuleOffset: 0x40}, {Function: "abort", Module: "libc.so.6"}, {Function: "main", Module: "p"},
	}}}}
	if sig, _ := top.ComputeSignature(); sig != "SIGSEGV in p: libz.so.1+0x40 ← main" {
		t.Errorf("signature %q", sig)
	}
}

// TestSignatureRecursionEntry: a stack overflow through a recursion is
// signed from the recursion's entry outward, so the frames above the
// recursion and the point of the cycle where the stack ran out, which
// change from run to run, do not change it (python's json scanner died
// in PyList_New in one run and in _PyObject_GC_Link inside it in the
// next, and two different programs once shared a hash that way).
func TestSignatureRecursionEntry(t *testing.T) {
	fn := func(name string) Frame { return Frame{Function: name, Module: "prog"} }
	sign := func(kind Kind, end string, leaf []string, cycle []string, depth int, outer ...string) string {
		var frames []Frame
		for _, n := range leaf {
			frames = append(frames, fn(n))
		}
		for i := 0; i < depth; i++ {
			frames = append(frames, fn(cycle[i%len(cycle)]))
		}
		for _, n := range outer {
			frames = append(frames, fn(n))
		}
		r := &Report{Process: Process{Exe: "/bin/prog"}, Signal: &Signal{Name: "SIGSEGV"}, Diagnosis: []Diagnosis{{Kind: kind}},
			Threads: []Thread{{Crashed: true, EndReason: end, Frames: frames}}}
		sig, _ := r.ComputeSignature()
		return sig
	}
	const overflow = KindStackOverflow
	// A function calling itself, dying in different callees at
	// different depths.
	direct := "SIGSEGV stack-overflow in prog: scan ← scanner_call ← eval ← main"
	for _, leaf := range [][]string{nil, {"PyList_New"}, {"gc_link", "gc_new", "PyList_New"}} {
		for _, depth := range []int{9, 4000, 65000} {
			if got := sign(overflow, EndOfStack, leaf, []string{"scan"}, depth, "scanner_call", "eval", "main"); got != direct {
				t.Errorf("leaf %q, depth %d: %q, want %q", leaf, depth, got, direct)
			}
		}
	}
	// Two functions calling each other: the cycle as entered (main
	// called parse_expr), whichever of them the stack ran out in.
	mutual := "SIGSEGV stack-overflow in prog: parse_primary ← parse_expr ← main"
	for _, phase := range [][]string{{"parse_primary", "parse_expr"}, {"parse_expr", "parse_primary"}} {
		for _, depth := range []int{5000, 5001} {
			cycle := phase
			if depth%2 == 0 && phase[0] == "parse_expr" || depth%2 == 1 && phase[0] == "parse_primary" {
				continue // the outermost frame must be parse_expr, main's callee
			}
			if got := sign(overflow, EndOfStack, []string{"malloc_hook"}, cycle, depth, "main"); got != mutual {
				t.Errorf("phase %q, depth %d: %q, want %q", phase, depth, got, mutual)
			}
		}
	}
	// A walk that stopped inside the recursion shows no entry: the
	// cycle from its function whose name sorts first.
	cut := "SIGSEGV stack-overflow in prog: a ← c ← b ← a ← c"
	for _, phase := range [][]string{{"a", "c", "b"}, {"c", "b", "a"}, {"b", "a", "c"}} {
		if got := sign(overflow, "unreadable memory", []string{"leaf"}, phase, 3000); got != cut {
			t.Errorf("cut walk, phase %q: %q, want %q", phase, got, cut)
		}
	}
	// A cycle that passes one function twice: the rotation, not the
	// function, fixes where the signature starts.
	twice := "SIGSEGV stack-overflow in prog: apply ← eval ← eval_args ← eval ← apply"
	period := []string{"eval", "apply", "eval", "eval_args"}
	for ph := range period {
		phase := append(append([]string{}, period[ph:]...), period[:ph]...)
		if got := sign(overflow, "unreadable memory", []string{"leaf"}, phase, 3000); got != twice {
			t.Errorf("cut walk, phase %q: %q, want %q", phase, got, twice)
		}
	}
	// A different entry is a different signature.
	if got := sign(overflow, EndOfStack, nil, []string{"scan"}, 100, "other_caller", "main"); got == direct {
		t.Errorf("a recursion entered from other_caller signed as %q", got)
	}
	// One large frame is no recursion: the faulting frame, as before.
	if got, want := sign(overflow, EndOfStack, nil, []string{"big"}, 1, "run", "main"), "SIGSEGV stack-overflow in prog: big ← run ← main"; got != want {
		t.Errorf("one large frame: %q, want %q", got, want)
	}
	// Only a stack overflow: a null pointer read in a recursion is
	// signed where it was read.
	if got, want := sign(KindNullDereference, EndOfStack, []string{"strlen_like"}, []string{"walk"}, 50, "main"), "SIGSEGV null-dereference in prog: strlen_like ← walk ← main"; got != want {
		t.Errorf("null dereference: %q, want %q", got, want)
	}
}
