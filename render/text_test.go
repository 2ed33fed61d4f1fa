package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/coreview/coreview/report"
)

// inOrder checks that out holds each of lines as a whole line, in order.
func inOrder(t *testing.T, out string, lines ...string) {
	t.Helper()
	rest := "\n" + out
	for _, l := range lines {
		i := strings.Index(rest, "\n"+l+"\n")
		if i < 0 {
			t.Errorf("no line %q (in order) in:\n%s", l, out)
			return
		}
		rest = rest[i+len(l)+1:]
	}
}

// TestTextHandBuilt: the text report of a hand-built report: the header
// with systemd's record and the mismatch, the diagnosis with its hint, the
// crashed thread first with its recursion collapsed, an inlined frame with
// a shortened /rustc/ path, the frames worth doubting marked, then the
// other thread with why its walk ended, then the warnings.
func TestTextHandBuilt(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, handBuilt(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	inOrder(t, b.String(),
		"core     /tmp/core.prog.1000.abc.42.1700000000000000.zst",
		"process  42  prog -n <5>",
		"exe      /usr/bin/prog",
		"systemd  comm prog, uid 1000, pid 42, time 2023-11-14 22:13:20.000000 UTC",
		"signal   SIGSEGV (SEGV_MAPERR: address not mapped) in thread 42",
		"address  0x7ffd1000fff8 in the guard page below thread 42's stack",
		"mismatch /build/prog is not the file the process mapped as /usr/bin/prog: its frames are unreliable",
		"threads  2",
		"crash    SIGSEGV stack-overflow: descend ← main  [0123456789abcdef]",
		"Thread 42 ran out of stack.",
		"  descend recursed 5 times.",
		"  hint: Bound the recursion_depth.",
		"thread 42 (crashed): 8 frames, end of stack",
		"  #0     0x0000000000401120  descend+0x10 (prog) at /src/prog.c:7",
		"  #1–#4                      descend ×4",
		"  #5     0x0000000000401126  descend+0x16 (prog)",
		"  #6     0x0000000000401200  helper (inlined) at library/core/src/ops.rs:3",
		"  #6     0x0000000000401200  main+0x20 (prog)  [unreliable: the file does not match the core]",
		"  #7     0x00007f0000029d90  libc.so.6+0x29d90  [found by scan]",
		"thread 43: 1 frames, unreadable memory",
		"  #0  0x00007f0000091000  futex_wait+0x4 (libc.so.6)",
		"  (walk ended: unreadable memory: read 0x10 failed)",
		"warnings:",
		"  - module /usr/bin/prog: no .eh_frame",
	)
}

// TestTextOptions: --thread crashed prints the crashed thread only, a tid
// only that thread, and --no-collapse every frame of the recursion.
func TestTextOptions(t *testing.T) {
	for _, tt := range []struct {
		o          TextOptions
		want, lack []string
	}{
		{TextOptions{Threads: "crashed"}, []string{"thread 42 (crashed): 8 frames, end of stack"}, []string{"thread 43"}},
		{TextOptions{Threads: "43"}, []string{"thread 43: 1 frames, unreadable memory"}, []string{"thread 42 (crashed)"}},
		{TextOptions{NoCollapse: true}, []string{"  #4  0x0000000000401126  descend+0x16 (prog)"}, []string{"descend ×4"}},
	} {
		var b bytes.Buffer
		if err := Text(&b, handBuilt(), tt.o); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%+v: no %q in:\n%s", tt.o, w, b.String())
			}
		}
		for _, l := range tt.lack {
			if strings.Contains(b.String(), l) {
				t.Errorf("%+v: %q in:\n%s", tt.o, l, b.String())
			}
		}
	}
}

// TestHumanSize: pmap's sizes, whole units only when exact.
func TestHumanSize(t *testing.T) {
	for n, want := range map[uint64]string{4096: "4K", 132 << 10: "132K", 1 << 20: "1M", 8 << 20: "8M", 1<<20 + 4096: "1028K", 2 << 30: "2G", 3<<30 + 1<<20: "3073M"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestTextTailCall: a tail-call frame prints with its own PC, its function
// and module and "(tail call)", before the frame it returns to and with
// that frame's number, as gdb lists one.
func TestTextTailCall(t *testing.T) {
	r := handBuilt()
	th := &r.Threads[0]
	for i := range r.Threads {
		if r.Threads[i].TID == 43 {
			th = &r.Threads[i]
		}
	}
	th.Frames = append(th.Frames, report.Frame{Index: 1, PC: 0x7f0000091180, Function: "__pthread_cond_wait_common",
		Offset: 0x10, Module: "libc.so.6", Method: report.MethodCFI,
		Inlined: []report.Frame{{Index: 1, PC: 0x7f0000091050, Function: "__futex_abstimed_wait_cancelable64", Symbol: "__futex_abstimed_wait_common",
			Offset: 0x50, Module: "libc.so.6", Method: report.MethodTailCall, File: "nptl/futex-internal.c", Line: 139}}})
	var b bytes.Buffer
	if err := Text(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	inOrder(t, b.String(),
		"thread 43: 2 frames, unreadable memory",
		"  #0  0x00007f0000091000  futex_wait+0x4 (libc.so.6)",
		"  #1  0x00007f0000091050  __futex_abstimed_wait_cancelable64 (libc.so.6) (tail call) at nptl/futex-internal.c:139",
		"  #1  0x00007f0000091180  __pthread_cond_wait_common+0x10 (libc.so.6)",
	)
}

// TestTextGoroutineFrame: the first frame of a goroutine's stack after
// runtime.morestack (a Go stack overflow) is labelled as the goroutine's
// without naming runtime.systemstack, which is not on that stack.
func TestTextGoroutineFrame(t *testing.T) {
	r := handBuilt()
	th := &r.Threads[0]
	th.Frames = []report.Frame{
		{Index: 0, PC: 0x45f49d, Function: "runtime.newstack", Offset: 0x5fd, Module: "prog", Method: report.MethodCFI},
		{Index: 1, PC: 0x47b99d, Function: "runtime.morestack.abi0", Offset: 0x7d, Module: "prog", Method: report.MethodCFI},
		{Index: 2, PC: 0x489b45, Function: "main.rec", Offset: 0xe5, Module: "prog", Method: report.MethodGoroutine},
	}
	var b bytes.Buffer
	if err := Text(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.Contains(line, "main.rec+0xe5") {
			if !strings.Contains(line, "the goroutine's own stack") || strings.Contains(line, "systemstack") {
				t.Errorf("goroutine frame after runtime.morestack: %q", line)
			}
			return
		}
	}
	t.Errorf("no main.rec frame in\n%s", b.String())
}
