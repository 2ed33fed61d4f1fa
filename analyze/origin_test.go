package analyze

import (
	"testing"

	"github.com/coreview/coreview/report"
)

func fr(fn, module string) report.Frame { return report.Frame{Function: fn, Module: module} }

// TestMainCalled: main was called when the entry machinery's call to it is
// on the stack, whatever main is named, and not when the entry machinery
// was still running initializers.
func TestMainCalled(t *testing.T) {
	inlined := fr("__libc_start_main", "libc.so.6")
	inlined.Inlined = []report.Frame{fr("call_init", "libc.so.6")}
	tail := fr("__libc_start_call_main", "libc.so.6")
	tail.Inlined = []report.Frame{{Function: "main", Module: "python3.11", Method: report.MethodTailCall}}
	for _, tc := range []struct {
		name   string
		frames []report.Frame
		want   bool
	}{
		{"python's main tail-called Py_BytesMain", []report.Frame{fr("string_at", "_ctypes.so"), fr("Py_RunMain", "libpython3.11.so"), fr("Py_BytesMain", "libpython3.11.so"),
			fr("__libc_start_call_main", "libc.so.6"), fr("__libc_start_main", "libc.so.6"), fr("_start", "python3.11")}, true},
		{"main's tail call rebuilt from call sites", []report.Frame{fr("Py_RunMain", "libpython3.11.so"), fr("Py_BytesMain", "libpython3.11.so"), tail, fr("_start", "python3.11")}, true},
		{"a frame named main", []report.Frame{fr("f", "p"), fr("main", "p"), fr("_start", "p")}, true},
		{"constructor from call_init", []report.Frame{fr("init", "p"), fr("call_init", "libc.so.6"), fr("__libc_start_main", "libc.so.6"), fr("_start", "p")}, false},
		{"constructor from call_init inlined into __libc_start_main", []report.Frame{fr("recurse", "p"), fr("init", "p"), inlined, fr("_start", "p")}, false},
		{"old glibc: __libc_start_main called main's tail", []report.Frame{fr("run", "p"), fr("__libc_start_main", "libc.so.6"), fr("_start", "p")}, true},
		{"old glibc: initializers", []report.Frame{fr("ctor", "p"), fr("__libc_csu_init", "p"), fr("__libc_start_main", "libc.so.6"), fr("_start", "p")}, false},
		{"musl: main through a pointer", []report.Frame{fr("crash", "p"), fr("app_main", "p"), fr("libc_start_main_stage2", "p"), fr("_start_c", "p"), fr("_start", "p")}, true},
		{"musl: initializers", []report.Frame{fr("ctor", "p"), fr("__libc_start_init", "p"), fr("libc_start_main_stage2", "p"), fr("_start_c", "p")}, false},
		{"static-pie relocating itself", []report.Frame{fr("memcpy", "p"), fr("_dl_relocate_static_pie", "p"), fr("__libc_start_main", "p"), fr("_start", "p")}, false},
		{"unnamed callee of __libc_start_call_main", []report.Frame{fr("", "p"), fr("__libc_start_call_main", "libc.so.6"), fr("__libc_start_main", "libc.so.6")}, true},
		{"unnamed callee of __libc_start_main", []report.Frame{fr("", "p"), fr("__libc_start_main", "libc.so.6"), fr("_start", "p")}, false},
	} {
		if got := mainCalled(tc.frames); got != tc.want {
			t.Errorf("%s: mainCalled = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRaisedBy: a thread raised its signal itself only when everything
// above its caller is raise machinery.
func TestRaisedBy(t *testing.T) {
	raise := []report.Frame{fr("__pthread_kill_implementation", "libc.so.6"), fr("raise", "libc.so.6"), fr("sigusr2", "p"), {Signal: true}, fr("main", "p")}
	if got := raisedBy(raise, &report.FrameRef{Index: 2}); got != "raise" {
		t.Errorf("raise in a handler: %q", got)
	}
	blocked := []report.Frame{fr("read", "libc.so.6"), fr("cat_main", "cat")}
	if got := raisedBy(blocked, &report.FrameRef{Index: 1}); got != "" {
		t.Errorf("blocked in read: %q, want none", got)
	}
	stripped := []report.Frame{fr("__pthread_kill_implementation", "libc.so.6"), fr("raise", "libc.so.6"), fr("", "prog"), fr("", "prog")}
	if got := raisedBy(stripped, nil); got != "raise" {
		t.Errorf("stripped program, no named caller: %q", got)
	}
	if got := raisedBy(blocked[:1], nil); got != "" {
		t.Errorf("read alone: %q", got)
	}
}

// TestGoRuntimeDeath: the Go runtime's ways to kill its process, from
// their frames as a GOTRACEBACK=crash core shows them.
func TestGoRuntimeDeath(t *testing.T) {
	sigpanic := fr("runtime.sigpanic", "g")
	sigpanic.Inlined = []report.Frame{fr("runtime.panicmem", "g")}
	top := []report.Frame{fr("runtime.raise.abi0", "g"), fr("runtime.dieFromSignal", "g"), fr("runtime.sigfwdgo", "g"),
		fr("runtime.sigtrampgo", "g"), fr("runtime.sigtramp.abi0", "g"), {Signal: true}, fr("runtime.raise.abi0", "g"),
		fr("runtime.dieFromSignal", "g"), fr("runtime.fatalpanic", "g"), fr("runtime.gopanic", "g")}
	fault := append(append([]report.Frame{}, top...), sigpanic, fr("main.first", "g"), fr("main.main", "g"), fr("runtime.main", "g"), fr("runtime.goexit.abi0", "g"))
	g := goRuntimeDeath(fault)
	if g == nil || g.Cause != "fatal-signal" || g.Fault != 11 || g.Panic != "runtime.panicmem" || g.Caller != 11 {
		t.Errorf("fatal signal: %+v", g)
	}
	panicked := append(append([]report.Frame{}, top...), fr("main.check", "g"), fr("main.main", "g"))
	if g := goRuntimeDeath(panicked); g == nil || g.Cause != "fatal-panic" || g.Fault != -1 || g.Caller != 10 {
		t.Errorf("fatal panic: %+v", g)
	}
	if g := goRuntimeDeath([]report.Frame{fr("raise", "libc.so.6"), fr("main", "p")}); g != nil {
		t.Errorf("a C raise: %+v", g)
	}
	if g := goRuntimeDeath([]report.Frame{fr("runtime.raise.abi0", "g"), fr("main.f", "g")}); g != nil {
		t.Errorf("runtime.raise without dieFromSignal or crash: %+v", g)
	}
}
