package analyze

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// The C programs of the live classes: each dies one way, built with gcc
// -g -O0 in the test's directory.
const (
	raiseC = `#include <signal.h>
static void sigusr2(int s) { raise(SIGABRT); }
int main(int argc, char **argv) {
	if (argc > 1) { signal(SIGUSR2, sigusr2); raise(SIGUSR2); }
	else raise(SIGABRT);
	return 0;
}
`
	abortC = `#include <stdlib.h>
int main(void) { abort(); }
`
	pauseC = `#include <unistd.h>
int main(void) { pause(); return 0; }
`
	// onstackC overflows its 8 MiB stack after about 15,000 frames of
	// 512 bytes; its SIGSEGV handler, installed without SA_SIGINFO on an
	// alternate stack, calls abort().
	onstackC = `#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
static void handler(int sig) { abort(); }
static int recurse(int n) { volatile char buf[512]; buf[0] = n; if (n == 0) return buf[0]; return recurse(n - 1) + buf[0]; }
int main(int argc, char **argv) {
	static char alt[65536];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
	sigaltstack(&ss, 0);
	struct sigaction sa; memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler; sa.sa_flags = SA_ONSTACK;
	sigaction(SIGSEGV, &sa, 0);
	printf("%d\n", recurse(15000000));
	return 0;
}
`
	inHandlerC = `#include <signal.h>
int *volatile nullp;
static void handler(int sig) { *nullp = 1; }
int main(void) { signal(SIGUSR1, handler); raise(SIGUSR1); return 0; }
`
	goNil = `package main

import "os"

type T struct{ x int }

//go:noinline
func first(t *T) int { return t.x }

//go:noinline
func second(t *T) int { return t.x + 1 }

func main() {
	var t *T
	if len(os.Args) > 1 {
		println(second(t))
	}
	println(first(t))
}
`
)

// overflowAtCallC recurses without end through a function whose frame
// is 16 bytes at -O1 (the return address and push rbx).
const overflowAtCallC = `__attribute__((noinline)) int down(int n) { if (n < 0) return 0; return down(n + 1) + n; }
int main(int argc, char **argv) { (void)argv; return down(argc); }
`

// crashJava reads address 0 through sun.misc.Unsafe: the JVM's SIGSEGV
// handler writes hs_err_pid*.log and ends in os::abort.
const crashJava = `public class Crash {
    public static void main(String[] a) throws Exception {
        java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        System.out.println(((sun.misc.Unsafe) f.get(null)).getInt(0L));
    }
}
`

// ctorOverflowC overflows the stack in a constructor, before main: an
// early-init crash 15,000 frames deep, whose start-up path the summary
// must list bounded.
const ctorOverflowC = `static int recurse(int n) { volatile char buf[512]; buf[0] = n; if (n == 0) return buf[0]; return recurse(n - 1) + buf[0]; }
static int sink;
__attribute__((constructor)) static void init(void) { sink = recurse(15000000); }
int main(void) { return sink; }
`

// goOverflow recurses past the maximum stack it sets itself (256 KiB, not
// the default gigabyte): the runtime's "fatal error: stack overflow".
const goOverflow = `package main

import "runtime/debug"

//go:noinline
func recurse(n int) int {
	var buf [64]byte
	buf[n%64] = byte(n)
	return recurse(n+1) + int(buf[3])
}

func main() {
	debug.SetMaxStack(256 << 10)
	println(recurse(0))
}
`

// goroutineMatchesTraceback checks the crashed thread of a Go fatal
// error: its walk stops at the g0 frame named switched (runtime.
// systemstack or runtime.morestack), goes on at a goroutine frame, and
// then has every frame the runtime's traceback of the running goroutine
// (traceback.txt beside the core) prints, in order, at the same pc and
// sp, to runtime.goexit.
func goroutineMatchesTraceback(t *testing.T, r *report.Report, switched string) {
	t.Helper()
	tb, err := os.ReadFile(filepath.Join(filepath.Dir(r.Core), "traceback.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := goTraceback(string(tb))
	if len(want) < 4 {
		t.Fatalf("the runtime's traceback of the running goroutine has %d frames: %s", len(want), tb)
	}
	ct := r.CrashedThread()
	g := -1
	for i := range ct.Frames {
		if ct.Frames[i].Method == report.MethodGoroutine {
			g = i
			break
		}
	}
	if g < 1 || report.GoFunc(ct.Frames[g-1].Function) != switched {
		t.Fatalf("no goroutine frame right after %s: %+v", switched, ct.Frames)
	}
	k := 0
	for _, f := range ct.Frames[g:] {
		if k < len(want) && !f.Inline && uint64(f.PC) == want[k].pc && uint64(f.SP) == want[k].sp {
			if report.GoFunc(f.Function) != want[k].fn {
				t.Errorf("frame at pc %#x sp %#x is %s, the runtime says %s", want[k].pc, want[k].sp, f.Function, want[k].fn)
			}
			k++
		}
	}
	if k != len(want) {
		t.Errorf("%d of the runtime's %d frames of the goroutine found (pc and sp); missing from %+v", k, len(want), want[k])
	}
	if last := ct.Frames[len(ct.Frames)-1]; ct.EndReason != "end of stack" || report.GoFunc(last.Function) != "runtime.goexit" {
		t.Errorf("the goroutine's walk ends %s (%s) at %s", ct.EndReason, ct.EndDetail, last.Function)
	}
}

// checkGoUnlock checks a core of goUnlock: a Go fatal error on the
// system stack, walked on onto the goroutine as the runtime's traceback.
func checkGoUnlock(t *testing.T, r *report.Report, cgo bool) {
	// The runtime's fatal error path (runtime.fatalthrow.func1 on
	// the system stack) is not a signal the runtime re-raised.
	d := firstKind(t, r, report.KindAbort)
	if d.AbortInfo.Cause != "go-fatal-error" || !strings.HasPrefix(d.Summary, "The Go runtime aborted the process after a fatal error") {
		t.Errorf("cause %s: %q", d.AbortInfo.Cause, d.Summary)
	}
	if strings.Contains(d.Summary, "called abort()") || strings.Contains(d.Summary, "fatal signal") {
		t.Errorf("summary %q", d.Summary)
	}
	// Above runtime.systemstack lies g0's stale stack (on the
	// main thread, old words of rt0_go's), and gdb stops there; the
	// walk goes on from g0.m.curg.sched, as the runtime's own
	// traceback does, frame for frame: pc and sp.
	goroutineMatchesTraceback(t, r, "runtime.systemstack")
	goStacksAreHeap(t, r, cgo)
	if !strings.Contains(r.Signature, "main.main") || !strings.Contains(d.Summary, "in internal/sync.fatal") {
		t.Errorf("signature %q, summary %q: the goroutine that failed is not named", r.Signature, d.Summary)
	}
}

// goStacksAreHeap checks the memory map of a Go core: the mapping the
// goroutine's own frames run on is the Go heap the runtime allocates
// goroutine stacks in, not a thread's stack, and what is below it is no
// guard page. Without cgo every stack but the main thread's is so
// (runtime.allocm gives each m's g0 and signal stack from the heap): no
// mapping is any thread's stack, guard or signal stack. With cgo the
// pthreads' stacks stay stacks.
func goStacksAreHeap(t *testing.T, r *report.Report, cgo bool) {
	ct := r.CrashedThread()
	var sp uint64
	for _, f := range ct.Frames {
		if f.Method == report.MethodGoroutine {
			sp = uint64(f.SP)
			break
		}
	}
	if sp == 0 {
		t.Fatal("no goroutine frame on the crashed thread")
	}
	stacks := 0
	for _, m := range r.Mappings {
		if m.Role == report.RoleStack {
			stacks++
		}
		if sp >= uint64(m.Start) && sp < uint64(m.End) && m.Role != report.RoleHeap {
			t.Errorf("the goroutine's stack pointer %#x is in [%#x, %#x), labelled %s (thread %d), not heap", sp, m.Start, m.End, m.Role, m.Owner)
		}
		switch m.Role {
		case report.RoleStack, report.RoleGuard, report.RoleSigaltstack, report.RoleStackSegment, report.RoleStackUnguarded:
			if !cgo {
				t.Errorf("[%#x, %#x) is labelled %s of thread %d in a Go program without cgo", m.Start, m.End, m.Role, m.Owner)
			}
		}
	}
	// With cgo the runtime's threads are pthreads: sysmon and the idle
	// threads wait on their g0, which is the pthread's own stack.
	if cgo && stacks == 0 {
		t.Errorf("no mapping is labelled a thread's stack in a cgo program: its pthread stacks are")
	}
}

// goFatal returns a live class's make: prog, built by build, run under
// GOTRACEBACK=crash, must die saying want; the runtime's traceback (the
// oracle of the goroutine's frames, goroutineMatchesTraceback) is kept
// beside the core.
func goFatal(build func(testing.TB, string, string, string) string, name, source, want string) func(t *testing.T, dir string) (string, string, int) {
	return func(t *testing.T, dir string) (string, string, int) {
		prog := build(t, dir, name, source)
		core, out := testfixture.Run(t, dir, []string{"GOTRACEBACK=crash"}, prog)
		if !strings.Contains(out, want) {
			t.Fatalf("the program did not die saying %q: %s", want, out)
		}
		if err := os.WriteFile(filepath.Join(dir, "traceback.txt"), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return core, prog, 0
	}
}

// goFrame is a physical frame of the Go runtime's traceback.
type goFrame struct {
	fn     string
	sp, pc uint64
}

// goTraceback returns the frames of the first running goroutine in the
// runtime's traceback (GOTRACEBACK=crash prints each frame's sp and pc;
// an inlined call has none and is left out).
func goTraceback(out string) []goFrame {
	var frames []goFrame
	in := false
	fn := ""
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "goroutine ") && strings.HasSuffix(line, "[running]:"):
			if in {
				return frames
			}
			in = true
		case !in:
		case line == "":
			return frames
		case !strings.HasPrefix(line, "\t"):
			fn = line
			if i := strings.LastIndexByte(fn, '('); i > 0 {
				fn = fn[:i]
			}
		default:
			var sp, pc uint64
			i := strings.Index(line, " sp=0x")
			j := strings.Index(line, " pc=0x")
			if i < 0 || j < 0 {
				continue
			}
			if _, err := fmt.Sscanf(line[i:], " sp=%v pc=%v", &sp, &pc); err == nil {
				frames = append(frames, goFrame{fn: fn, sp: sp, pc: pc})
			}
		}
	}
	return frames
}

// goUnlock unlocks an unlocked mutex: the Go runtime's "fatal error:
// sync: unlock of unlocked mutex" (runtime.fatal, then fatalthrow on the
// system stack), deterministic where a concurrent map write is a race.
const goUnlock = `package main

import "sync"

func main() {
	var mu sync.Mutex
	mu.Unlock()
}
`

// The C++ programs die in std::terminate three ways, built with g++
// (which compiles a .c file as C++).
const (
	cxxUncaughtC = `#include <stdexcept>
void thrower(int x) { if (x > 0) throw std::runtime_error("boom"); }
int main(int argc, char **) { thrower(argc); return 0; }
`
	cxxNoexceptC = `#include <stdexcept>
void inner(int x) { if (x > 0) throw std::runtime_error("boom"); }
void guarded(int x) noexcept { inner(x); }
int main(int argc, char **) { guarded(argc); return 0; }
`
	cxxPureVirtualC = `struct Base { Base(); virtual void f() = 0; void call() { f(); } };
void helper(Base *b) { b->call(); }
Base::Base() { helper(this); }
struct Derived : Base { void f() override {} };
int main() { Derived d; d.f(); return 0; }
`
)

// cxxProgram builds a C++ program with g++ and runs it to its core.
func cxxProgram(name, source string) func(t *testing.T, dir string) (string, string, int) {
	return func(t *testing.T, dir string) (string, string, int) {
		prog := testfixture.BuildC(t, "g++", dir, name, source, "-g", "-O0")
		core, _ := testfixture.Run(t, dir, nil, prog)
		return core, prog, 0
	}
}

// cxxTerminated checks a std::terminate: the cause, the frame it names
// (the thrower, the virtual call's caller), a signature that starts
// there (not in the C++ runtime), and no "called abort() from".
func cxxTerminated(cause, fn, sig string) func(t *testing.T, r *report.Report, _ int) {
	return func(t *testing.T, r *report.Report, _ int) {
		d := firstKind(t, r, report.KindAbort)
		a := d.AbortInfo
		if a.Cause != cause || a.Caller == nil || a.Caller.Function != fn || !strings.Contains(d.Summary, " in "+fn+" (#") {
			t.Errorf("cause %s caller %+v: %q", a.Cause, a.Caller, d.Summary)
		}
		if strings.Contains(d.Summary, "called abort() from") {
			t.Errorf("summary %q", d.Summary)
		}
		if !strings.HasSuffix(r.Signature, ": "+sig) {
			t.Errorf("signature %q, want it to end %q", r.Signature, ": "+sig)
		}
	}
}

// liveClass is one class of real crash, made by a test from a program
// nobody here wrote (coreutils, python3, java) or from a small one built
// here, and what its report must say.
type liveClass struct {
	name string
	// make returns the core and the executable, and the pid that sent
	// the signal when the test sent it.
	make  func(t *testing.T, dir string) (core, exe string, sender int)
	check func(t *testing.T, r *report.Report, sender int)
	// sameBug names a class whose crash is the same bug, whose
	// signature must then be the same.
	sameBug string
	// noGDB says why gdb's frames are not compared.
	noGDB string
}

func cProgram(name, source string) func(t *testing.T, dir string) (string, string, int) {
	return func(t *testing.T, dir string) (string, string, int) {
		prog := testfixture.BuildC(t, "gcc", dir, name, source, "-g", "-O0")
		core, _ := testfixture.Run(t, dir, nil, prog)
		return core, prog, 0
	}
}

func cProgramArgs(name, source string, args ...string) func(t *testing.T, dir string) (string, string, int) {
	return func(t *testing.T, dir string) (string, string, int) {
		prog := testfixture.BuildC(t, "gcc", dir, name, source, "-g", "-O0")
		core, _ := testfixture.Run(t, dir, nil, append([]string{prog}, args...)...)
		return core, prog, 0
	}
}

// killed starts argv, waits until it blocks as comm, and kills it with sig
// from another process.
func killed(comm string, sig syscall.Signal, build func(t *testing.T, dir string) string, argv ...string) func(t *testing.T, dir string) (string, string, int) {
	return func(t *testing.T, dir string) (string, string, int) {
		if build != nil {
			argv = append([]string{build(t, dir)}, argv...)
		}
		p := testfixture.Start(t, dir, nil, argv...)
		p.WaitBlocked(t, comm)
		sender := p.Kill(t, sig)
		core := p.Core(t)
		return core, exePath(t, argv[0]), sender
	}
}

func exePath(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func goNilProgram(arg ...string) func(t *testing.T, dir string) (string, string, int) {
	return func(t *testing.T, dir string) (string, string, int) {
		prog := testfixture.BuildGo(t, dir, "gonil", goNil)
		core, _ := testfixture.Run(t, dir, []string{"GOTRACEBACK=crash"}, append([]string{prog}, arg...)...)
		return core, prog, 0
	}
}

func python(env []string, argv ...string) func(t *testing.T, dir string) (string, string, int) {
	return func(t *testing.T, dir string) (string, string, int) {
		core, _ := testfixture.Run(t, dir, env, append([]string{"python3"}, argv...)...)
		return core, "", 0
	}
}

func firstKind(t *testing.T, r *report.Report, want report.Kind) *report.Diagnosis {
	t.Helper()
	if len(r.Diagnosis) == 0 || r.Diagnosis[0].Kind != want {
		var kinds []string
		for _, d := range r.Diagnosis {
			kinds = append(kinds, string(d.Kind)+": "+d.Summary)
		}
		t.Fatalf("diagnoses %q, want %s first", kinds, want)
	}
	return &r.Diagnosis[0]
}

func noKind(t *testing.T, r *report.Report, kinds ...report.Kind) {
	t.Helper()
	for _, d := range r.Diagnosis {
		for _, k := range kinds {
			if d.Kind == k {
				t.Errorf("unexpected %s diagnosis: %s", k, d.Summary)
			}
		}
	}
}

func killedBy(t *testing.T, r *report.Report, sender int, in string) {
	t.Helper()
	d := firstKind(t, r, report.KindKilled)
	noKind(t, r, report.KindAbort, report.KindEarlyInit)
	k := d.Killed
	if k.SenderPID != sender || k.SenderUID != uint32(os.Getuid()) || k.How != "SI_USER" {
		t.Errorf("killed %+v, want sender %d uid %d SI_USER", k, sender, os.Getuid())
	}
	if !strings.Contains(d.Summary, fmt.Sprintf("process %d (uid %d)", sender, os.Getuid())) || strings.Contains(d.Summary, "abort") {
		t.Errorf("summary %q", d.Summary)
	}
	if k.In == nil || !strings.HasPrefix(k.In.Function, in) {
		t.Errorf("in %+v, want %s", k.In, in)
	}
	// "called from" only for frame 0's direct caller: libc frames (read
	// under fread, clock_nanosleep under nanosleep) may lie between.
	if k.In != nil && len(d.Explanation) > 0 {
		if direct := strings.Contains(d.Explanation[0], ", called from "); direct != (k.In.Index == 1) {
			t.Errorf("frame #%d is the program's first frame, but the explanation says %q", k.In.Index, d.Explanation[0])
		}
	}
}

var liveClasses = []liveClass{
	{name: "gcore-sleep", make: func(t *testing.T, dir string) (string, string, int) {
		p := testfixture.Start(t, dir, nil, "sleep", "1000")
		p.WaitBlocked(t, "sleep")
		return p.Gcore(t), exePath(t, "sleep"), 0
	}, check: func(t *testing.T, r *report.Report, _ int) {
		if !r.Snapshot || r.Signal != nil || len(r.Diagnosis) != 0 || r.CrashedThread() != nil {
			t.Errorf("snapshot %v, signal %+v, diagnoses %+v: want a snapshot, no signal, no diagnosis, no crashed thread", r.Snapshot, r.Signal, r.Diagnosis)
		}
		if !strings.HasPrefix(r.Signature, "snapshot in sleep: ") {
			t.Errorf("signature %q", r.Signature)
		}
	}},
	{name: "killed-cat-read", make: killed("cat", syscall.SIGABRT, nil, "cat"),
		check: func(t *testing.T, r *report.Report, sender int) { killedBy(t, r, sender, "cat+0x") }},
	{name: "killed-pause", make: killed("pause", syscall.SIGABRT, func(t *testing.T, dir string) string {
		return testfixture.BuildC(t, "gcc", dir, "pause", pauseC, "-g", "-O0")
	}), check: func(t *testing.T, r *report.Report, sender int) { killedBy(t, r, sender, "main") }},
	{name: "killed-sleep-segv", make: killed("sleep", syscall.SIGSEGV, nil, "sleep", "1000"),
		check: func(t *testing.T, r *report.Report, sender int) { killedBy(t, r, sender, "sleep+0x") }},
	{name: "killed-sort-segv", make: killed("sort", syscall.SIGSEGV, nil, "sort"),
		check: func(t *testing.T, r *report.Report, sender int) { killedBy(t, r, sender, "sort+0x") }},
	{name: "raise-main", make: cProgram("raise", raiseC), check: func(t *testing.T, r *report.Report, _ int) {
		d := firstKind(t, r, report.KindAbort)
		if d.AbortInfo.Cause != "raise" || d.Summary != fmt.Sprintf("Thread %d raised SIGABRT itself (raise, in main).", d.Thread) {
			t.Errorf("cause %s: %q", d.AbortInfo.Cause, d.Summary)
		}
	}},
	{name: "raise-sigusr2", make: cProgramArgs("raise", raiseC, "x"), check: func(t *testing.T, r *report.Report, _ int) {
		d := firstKind(t, r, report.KindAbort)
		if d.AbortInfo.Cause != "raise" || d.Summary != fmt.Sprintf("Thread %d raised SIGABRT itself (raise, in sigusr2).", d.Thread) {
			t.Errorf("cause %s: %q", d.AbortInfo.Cause, d.Summary)
		}
		if !strings.Contains(r.Signature, ": sigusr2 ← main") {
			t.Errorf("signature %q does not start at the handler that raised", r.Signature)
		}
	}},
	{name: "abort-main", make: cProgram("abort", abortC), check: func(t *testing.T, r *report.Report, _ int) {
		d := firstKind(t, r, report.KindAbort)
		if d.AbortInfo.Cause != "abort-call" || !strings.HasPrefix(d.Summary, fmt.Sprintf("Thread %d called abort() from main (#", d.Thread)) {
			t.Errorf("cause %s: %q", d.AbortInfo.Cause, d.Summary)
		}
	}},
	{name: "cxx-uncaught-exception", make: cxxProgram("uncaught", cxxUncaughtC),
		check: cxxTerminated("cxx-exception", "thrower(int)", "thrower(int) ← main")},
	{name: "cxx-noexcept", make: cxxProgram("noexcept", cxxNoexceptC),
		check: cxxTerminated("cxx-noexcept", "inner(int)", "inner(int) ← guarded(int) ← main")},
	{name: "cxx-pure-virtual", make: cxxProgram("purevirtual", cxxPureVirtualC),
		check: cxxTerminated("cxx-pure-virtual", "Base::call()", "Base::call() ← helper(Base*) ← Base::Base() ← Derived::Derived() ← main")},
	{name: "go-fatal-error", make: goFatal(testfixture.BuildGo, "gounlock", goUnlock, "fatal error: sync: unlock of unlocked mutex"),
		check: func(t *testing.T, r *report.Report, _ int) { checkGoUnlock(t, r, false) }},
	// The same fatal error in a cgo program the system linker linked:
	// its DWARF is compressed and has .debug_aranges (read a unit at a
	// time), and the runtime's layout must still be found in it.
	{name: "go-fatal-error-cgo", sameBug: "go-fatal-error",
		make: goFatal(testfixture.BuildCgo, "gounlock", strings.Replace(goUnlock, "import \"sync\"", "import \"C\"\nimport \"sync\"", 1), "fatal error: sync: unlock of unlocked mutex"),
		check: func(t *testing.T, r *report.Report, _ int) {
			checkGoUnlock(t, r, true)
			// Go's linker writes no .debug_aranges: those the C compiler
			// wrote must not stand for all the units, or no Go frame has
			// a source line.
			for _, f := range r.CrashedThread().Frames {
				if report.GoFunc(f.Function) == "main.main" && (!strings.HasSuffix(f.File, "main.go") || f.Line == 0) {
					t.Errorf("main.main's frame has no source line: %+v", f)
				}
			}
		}},
	// A goroutine's stack past its maximum: runtime.newstack throws on
	// the thread's g0 stack, called from runtime.morestack in the
	// recursing function's prologue. gdb walks on into g0's stale words
	// past morestack; the walk goes on from g0.m.curg.sched instead.
	{name: "go-stack-overflow", noGDB: "gdb walks g0's stale stack past runtime.morestack (runtime.newproc, then ??); the runtime's traceback is the oracle",
		make: goFatal(testfixture.BuildGo, "gooverflow", goOverflow, "fatal error: stack overflow"),
		check: func(t *testing.T, r *report.Report, _ int) {
			d := firstKind(t, r, report.KindAbort)
			if d.AbortInfo.Cause != "go-fatal-error" || !strings.Contains(d.Summary, "a goroutine's stack overflowed") || !strings.Contains(d.Summary, "for main.recurse") {
				t.Errorf("cause %s: %q", d.AbortInfo.Cause, d.Summary)
			}
			goroutineMatchesTraceback(t, r, "runtime.morestack")
			goStacksAreHeap(t, r, false)
			// debug.SetMaxStack(256 << 10): the stack grew to the
			// limit, and doubling it again passes it; the runtime's
			// message says so ("goroutine stack exceeds 262144-byte
			// limit").
			if !strings.Contains(d.Summary, "the stack was 256 KiB") || !strings.Contains(d.Summary, "maximum of 256 KiB") {
				t.Errorf("the summary does not give the stack's size and the maximum: %q", d.Summary)
			}
			if r.Signature != "SIGABRT abort in gooverflow.bin: main.recurse ← main.main" {
				t.Errorf("signature %q", r.Signature)
			}
		}},
	{name: "go-nil-first", make: goNilProgram(), check: goFault("main.first")},
	{name: "go-nil-second", make: goNilProgram("x"), check: goFault("main.second")},
	{name: "python-null", make: python(nil, "-c", "import ctypes; ctypes.string_at(0)"), check: func(t *testing.T, r *report.Report, _ int) {
		firstKind(t, r, report.KindNullDereference)
		noKind(t, r, report.KindEarlyInit)
	}},
	// overflowAtCallC's down has a 16-byte frame (push rbx, and the
	// return address), so at some call the stack pointer sits exactly at
	// the stack's lowest byte: the frame fit, and the call's return
	// address is what falls into the gap.
	{name: "overflow-at-call", noGDB: "65,000 frames: gdb takes minutes", make: func(t *testing.T, dir string) (string, string, int) {
		prog := testfixture.BuildC(t, "gcc", dir, "atcall", overflowAtCallC, "-g", "-O1")
		// A 1 MiB stack: 65,000 frames, not 500,000.
		core, _ := testfixture.Run(t, dir, nil, "prlimit", "--stack=1048576", prog)
		return core, prog, 0
	}, check: func(t *testing.T, r *report.Report, _ int) {
		d := firstKind(t, r, report.KindStackOverflow)
		so := d.StackOverflow
		if so.SP != so.Stack.Start || so.Remaining < so.Frame.Size || so.SP-so.FaultAddress != 8 {
			t.Fatalf("sp %#x stack start %#x fault %#x, %d bytes left for a %d-byte frame: not the case this class makes", uint64(so.SP), uint64(so.Stack.Start), uint64(so.FaultAddress), so.Remaining, so.Frame.Size)
		}
		text := strings.Join(d.Explanation, "\n")
		if strings.Contains(text, "needed a 16-byte frame") || !strings.Contains(text, "down's 16-byte frame fit in the 16 bytes left") || !strings.Contains(text, "a push or a call of its own") {
			t.Errorf("explanation %q: the frame fit, the call below it faulted", d.Explanation)
		}
	}},
	// unpack "p" takes the packed integer 1 for a char pointer: strlen
	// reads address 0x1 through a register that holds 0x1, not through a
	// null pointer plus a field offset.
	{name: "perl-small-pointer", make: func(t *testing.T, dir string) (string, string, int) {
		core, _ := testfixture.Run(t, dir, nil, "perl", "-e", `unpack("p", pack("Q", 1))`)
		return core, exePath(t, "perl"), 0
	}, check: func(t *testing.T, r *report.Report, _ int) {
		d := firstKind(t, r, report.KindNullDereference)
		if !strings.Contains(d.Summary, "dereferenced a pointer into the null page") || !strings.Contains(d.Summary, "= 0x1, which is not null") || strings.Contains(d.Summary, "a field of a null struct") {
			t.Errorf("summary %q: the pointer held 0x1 itself", d.Summary)
		}
		if strings.Contains(d.Access.Where, "null pointer") {
			t.Errorf("where %q: the address alone does not say a null pointer made it", d.Access.Where)
		}
	}},
	{name: "python-faulthandler", make: python(nil, "-X", "faulthandler", "-c", "import ctypes; ctypes.string_at(0)"), sameBug: "python-null",
		check: func(t *testing.T, r *report.Report, _ int) {
			d := firstKind(t, r, report.KindNullDereference)
			noKind(t, r, report.KindEarlyInit)
			if !strings.Contains(strings.Join(d.Explanation, "\n"), "caught the SIGSEGV and then raised SIGSEGV again") {
				t.Errorf("explanation %q does not say the handler re-raised", d.Explanation)
			}
			// The thread's registers are the re-raise's (rdi is the
			// pid); the fault's are those the signal frame saved:
			// strlen's rdi was null, as gdb's `info registers rdi`
			// in strlen's frame says.
			if d.Access == nil || d.Access.Base != "rdi" || d.Access.Pointer != 0 ||
				!strings.Contains(d.Summary, "dereferenced a null pointer") || !strings.Contains(d.Access.Operand, "rdi = 0x0") {
				t.Errorf("the re-raised fault is not told from the signal frame's registers: %q %+v", d.Summary, d.Access)
			}
		}},
	{name: "sigaltstack-overflow", make: cProgram("onstack", onstackC), check: func(t *testing.T, r *report.Report, _ int) {
		d := firstKind(t, r, report.KindStackOverflow)
		if d.StackOverflow.Depth < 10000 || !strings.Contains(strings.Join(d.Explanation, "\n"), "a signal handler (handler) caught the SIGSEGV and then called abort()") {
			t.Errorf("depth %d, explanation %q", d.StackOverflow.Depth, d.Explanation)
		}
	}},
	{name: "fault-in-handler", make: cProgram("inhandler", inHandlerC), check: func(t *testing.T, r *report.Report, _ int) {
		firstKind(t, r, report.KindNullDereference)
		if !strings.Contains(r.Signature, ": handler ← main") {
			t.Errorf("signature %q does not start at the faulting handler", r.Signature)
		}
	}},
	{name: "ctor-overflow", make: cProgram("ctor", ctorOverflowC), check: func(t *testing.T, r *report.Report, _ int) {
		firstKind(t, r, report.KindStackOverflow)
		var ei *report.Diagnosis
		for i := range r.Diagnosis {
			if r.Diagnosis[i].Kind == report.KindEarlyInit {
				ei = &r.Diagnosis[i]
			}
		}
		if ei == nil || len(ei.EarlyInit.Path) < 10000 || !strings.Contains(ei.Summary, "more) …") {
			t.Fatalf("early-init %+v", ei)
		}
	}},
	{name: "jvm-null", make: func(t *testing.T, dir string) (string, string, int) {
		java := testfixture.Tool(t, "java")
		if err := os.WriteFile(filepath.Join(dir, "Crash.java"), []byte(crashJava), 0o644); err != nil {
			t.Fatal(err)
		}
		core, _ := testfixture.Run(t, dir, nil, java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:+CreateCoredumpOnCrash", "Crash.java")
		return core, java, 0
	}, check: func(t *testing.T, r *report.Report, _ int) {
		d := firstKind(t, r, report.KindNullDereference)
		if !strings.HasPrefix(d.Access.Function, "Unsafe_GetInt") || !strings.Contains(strings.Join(d.Explanation, "\n"), "caught the SIGSEGV and then called abort()") {
			t.Errorf("function %s, explanation %q", d.Access.Function, d.Explanation)
		}
	}},
	{name: "node-abort", make: func(t *testing.T, dir string) (string, string, int) {
		core, _ := testfixture.Run(t, dir, nil, "node", "-e", "process.abort()")
		return core, exePath(t, "node"), 0
	}, check: func(t *testing.T, r *report.Report, _ int) {
		// node's main is one jmp to node::Start: no frame named main.
		d := firstKind(t, r, report.KindAbort)
		noKind(t, r, report.KindEarlyInit)
		if d.AbortInfo.Cause != "abort-call" || d.AbortInfo.Caller == nil || !strings.HasPrefix(d.AbortInfo.Caller.Function, "node::Abort") {
			t.Errorf("cause %s caller %+v", d.AbortInfo.Cause, d.AbortInfo.Caller)
		}
	}},
	// json.load of a file named on the command line overflows the 8 MiB
	// main stack: the command line sits more than 4 MiB above the stack's
	// lowest byte, and the recursion reads the file's text.
	{name: "python-json-file", noGDB: "65,000 frames: gdb takes minutes", make: func(t *testing.T, dir string) (string, string, int) {
		file := filepath.Join(dir, "deep.json")
		if err := os.WriteFile(file, []byte(strings.Repeat("[", 200000)+strings.Repeat("]", 200000)), 0o644); err != nil {
			t.Fatal(err)
		}
		core, _ := testfixture.Run(t, dir, nil, "python3", "-c", "import json, sys; sys.setrecursionlimit(10**7); json.load(open(sys.argv[1]))", file)
		return core, "", 0
	}, check: func(t *testing.T, r *report.Report, _ int) {
		firstKind(t, r, report.KindStackOverflow)
		if n := len(r.Process.Args); n != 4 || !strings.HasSuffix(r.Process.Args[n-1], "/deep.json") {
			t.Errorf("args %q: the command line was not read from the stack", r.Process.Args)
		}
		if len(r.Inputs) == 0 || r.Inputs[0].File == nil || !strings.HasSuffix(*r.Inputs[0].File, "/deep.json") || r.Inputs[0].Size != 400000 {
			t.Errorf("inputs %+v: the recursion read deep.json", r.Inputs)
		}
	}},
	// The same recursion on a string in memory: 65,000 frames of 128
	// bytes hold pointers into it, and the search reads only the
	// innermost 4 MiB of their slots, so the count it gives is a floor.
	{name: "python-json-string", noGDB: "65,000 frames: gdb takes minutes", make: python(nil, "-c", `
import json, sys
sys.setrecursionlimit(10**7)
json.loads("[" * 200000 + "]" * 200000)
`), check: func(t *testing.T, r *report.Report, _ int) {
		firstKind(t, r, report.KindStackOverflow)
		if len(r.Inputs) == 0 || r.Inputs[0].File != nil || r.Inputs[0].Size != 400000 {
			t.Fatalf("inputs %+v: the recursion read the 400,000-byte string", r.Inputs)
		}
		in := r.Inputs[0]
		if w := in.Words(true); in.Frames < 65000 && !strings.Contains(w, "at least "+report.Commas(in.Frames)+" frames hold") {
			t.Errorf("%q: %d frames counted of about 65,000 that hold pointers, said as if all", w, in.Frames)
		}
	}},
	{name: "python-deep-json", noGDB: "150,000 frames: gdb takes minutes", make: python(nil, "-c", `
import sys, json
sys.setrecursionlimit(10**7)
l = []
for i in range(10**6): l = [l]
json.dumps(l)
`), check: func(t *testing.T, r *report.Report, _ int) {
		firstKind(t, r, report.KindStackOverflow)
		noKind(t, r, report.KindEarlyInit)
	}},
}

func goFault(fn string) func(t *testing.T, r *report.Report, _ int) {
	return func(t *testing.T, r *report.Report, _ int) {
		d := firstKind(t, r, report.KindAbort)
		a := d.AbortInfo
		if a.Cause != "go-fatal-signal" || a.Caller == nil || a.Caller.Function != fn || !strings.Contains(d.Summary, "The Go runtime aborted the process after a fatal signal: "+fn) {
			t.Errorf("cause %s caller %+v: %q", a.Cause, a.Caller, d.Summary)
		}
		if strings.Contains(d.Summary, "called abort()") {
			t.Errorf("summary %q", d.Summary)
		}
		if !strings.Contains(r.Signature, ": "+fn+" ← main.main") {
			t.Errorf("signature %q does not start at %s", r.Signature, fn)
		}
		// The faulting frame's PC is the faulting instruction (the
		// runtime pushed it as sigpanic's return address), here its
		// function's first: its caller is found by the CFI row at that
		// PC, not by scanning after a lookup at PC-1 in the function
		// before it.
		if ct := r.CrashedThread(); ct != nil && a.Caller != nil && a.Caller.Index+1 < len(ct.Frames) {
			if f := ct.Frames[a.Caller.Index+1]; f.Function != "main.main" || f.Method != report.MethodCFI {
				t.Errorf("the caller of %s is #%d %s found by %s, want main.main by cfi", fn, f.Index, f.Function, f.Method)
			}
		} else {
			t.Errorf("no frame under the faulting %s", fn)
		}
	}
}

// maxProse bounds a diagnosis's summary and each explanation line.
const maxProse = 2000

// TestLiveClasses makes a real core of every class of crash issue 13 lists,
// checks what the report says against what the test did to the process,
// its frames against gdb's, that no sentence is unbounded, and that no two
// different crashes share a signature.
func TestLiveClasses(t *testing.T) {
	t.Parallel()
	gdb, haveGDB := testfixture.OptionalTool(t, "gdb")
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join(testfixture.Root(), "schema", "report-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The cores stay until gdb has read them, after all the classes.
	root := t.TempDir()
	type made struct {
		core, exe string
		r         *report.Report
	}
	var mu sync.Mutex
	hashes := map[string]string{}
	toGDB := map[string]made{}
	// The classes run in parallel (each makes its own process and core in
	// its own directory); the group returns when all have, and the
	// signatures are compared after it.
	t.Run("class", func(t *testing.T) {
		for _, lc := range liveClasses {
			t.Run(lc.name, func(t *testing.T) {
				t.Parallel()
				dir, err := os.MkdirTemp(root, lc.name+"-")
				if err != nil {
					t.Fatal(err)
				}
				core, exe, sender := lc.make(t, dir)
				r, err := Analyze(core, Options{Binary: exe})
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range r.Diagnosis {
					if len(d.Summary) > maxProse {
						t.Errorf("%s summary is %d bytes", d.Kind, len(d.Summary))
					}
					for _, e := range d.Explanation {
						if len(e) > maxProse {
							t.Errorf("%s explanation line is %d bytes", d.Kind, len(e))
						}
					}
				}
				lc.check(t, r, sender)
				var js bytes.Buffer
				if err := r.WriteJSON(&js); err != nil {
					t.Fatal(err)
				}
				if v, err := jsonschema.UnmarshalJSON(&js); err != nil {
					t.Fatal(err)
				} else if err := sch.Validate(v); err != nil {
					t.Errorf("report does not validate: %v", err)
				}
				if r.Snapshot {
					gcoreText(t, core, exe, r)
				}
				t.Logf("%s [%s]", r.Signature, r.SignatureHash)
				if exe == "" {
					exe = r.Process.Exe
				}
				mu.Lock()
				defer mu.Unlock()
				hashes[lc.name] = r.SignatureHash
				if lc.noGDB != "" {
					t.Logf("not compared with gdb: %s", lc.noGDB)
					return
				}
				toGDB[lc.name] = made{core, exe, r}
			})
		}
	})
	// gdb reads every class's core after all of them, in two processes
	// that load the cores in turn (gdbBatches): the cores are the
	// machine's, and each gdb process reads this machine's libc and its
	// debug information once, not once a core.
	var names []string
	var jobs []gdbJob
	for _, lc := range liveClasses {
		if m, ok := toGDB[lc.name]; ok && haveGDB {
			names = append(names, lc.name)
			jobs = append(jobs, gdbJob{Binary: m.exe, Core: m.core})
		}
	}
	gdbs := map[string]gdbResult{}
	for i, res := range gdbBatches(gdb, "/", jobs) {
		gdbs[names[i]] = res
	}
	t.Run("gdb", func(t *testing.T) {
		for _, lc := range liveClasses {
			m, ok := toGDB[lc.name]
			if !ok {
				continue // not compared (noGDB), or its class/ subtest failed
			}
			t.Run(lc.name, func(t *testing.T) {
				if !haveGDB {
					t.Skip("gdb is not installed: frames not compared")
				}
				res := gdbs[lc.name]
				if res.err != nil {
					t.Fatal(res.err)
				}
				want := res.threads
				if m.r.Snapshot {
					// gdb selects the first thread of a snapshot; none
					// of them crashed.
					for i := range want {
						want[i].Crashed = false
					}
				}
				compareWithGDB(t, want, m.r, m.core, Options{Binary: m.exe})
			})
		}
	})
	byHash := map[string]string{}
	for _, lc := range liveClasses {
		h, ok := hashes[lc.name]
		if !ok {
			continue
		}
		if other, dup := byHash[h]; dup && lc.sameBug != other {
			t.Errorf("%s and %s share the signature hash %s", other, lc.name, h)
		}
		if lc.sameBug != "" && hashes[lc.sameBug] != "" && hashes[lc.sameBug] != h {
			t.Errorf("%s and %s are the same bug but have different signatures", lc.name, lc.sameBug)
		}
		byHash[h] = lc.name
	}
}

// gcoreText checks a gcore core's code: gdb left its text out of the
// program headers, NT_FILE lists it, and the address space must hold it
// anyway: every frame's PC executable, the executable's text an r-x
// mapping not dumped, its bytes read from the file.
func gcoreText(t *testing.T, core, exe string, r *report.Report) {
	t.Helper()
	s, err := Open(core, Options{Binary: exe})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, th := range r.Threads {
		for _, f := range th.Frames {
			if !f.Signal && !s.Mem.Executable(uint64(f.PC)) {
				t.Errorf("thread %d frame #%d: pc %#x not executable", th.TID, f.Index, uint64(f.PC))
			}
		}
	}
	text := false
	for _, m := range r.Mappings {
		if m.File == r.Process.Exe && m.Perms == "r-x" && !m.Dumped && m.Role == report.RoleText {
			text = true
			var b [16]byte
			if _, err := s.Mem.ReadAt(b[:], uint64(m.Start)); err != nil {
				t.Errorf("text of %s at %#x unreadable: %v", m.File, uint64(m.Start), err)
			}
		}
	}
	if !text {
		t.Errorf("no undumped r-x text mapping of %s among %d mappings", r.Process.Exe, len(r.Mappings))
	}
}
