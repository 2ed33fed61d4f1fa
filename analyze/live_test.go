package analyze

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// liveRustcCore makes rustc overflow its stack on a generated source file
// and returns the core and the real rustc binary. It skips when rustc is
// absent or the kernel does not write cores named "core" in the working
// directory. Each (name, source) is compiled to its core once per test
// binary, in a directory of its own that lives as long as the binary: the
// tests that read the lexer's core share it.
func liveRustcCore(t testing.TB, name, source string) (core, rustc string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no live rustc core")
	}
	v, _ := rustcCores.LoadOrStore([2]string{name, source}, &rustcCore{})
	c := v.(*rustcCore)
	dir := testfixture.SharedDir(t)
	c.once.Do(func() { c.core, c.rustc, c.skip, c.err = makeRustcCore(dir, name, source) })
	if c.err != nil {
		t.Fatal(c.err)
	}
	if c.skip != "" {
		t.Skip(c.skip)
	}
	return c.core, c.rustc
}

var rustcCores sync.Map // [name, source] → *rustcCore

type rustcCore struct {
	once              sync.Once
	core, rustc, skip string
	err               error
}

// makeRustcCore runs rustc on source, written as name in a new directory
// under parent, and returns the core it dumped, or why there is none.
func makeRustcCore(parent, name, source string) (core, rustc, skip string, err error) {
	if _, err := exec.LookPath("rustc"); err != nil {
		return "", "", "rustc is not installed", nil
	}
	if p, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || strings.TrimSpace(string(p)) != "core" {
		return "", "", fmt.Sprintf("core_pattern is %q, not \"core\"", strings.TrimSpace(string(p))), nil
	}
	out, err := exec.Command("rustc", "--print", "sysroot").Output()
	if err != nil {
		return "", "", fmt.Sprintf("rustc --print sysroot: %v", err), nil
	}
	rustc = filepath.Join(strings.TrimSpace(string(out)), "bin", "rustc")
	dir, err := os.MkdirTemp(parent, "rustc-")
	if err != nil {
		return "", "", "", err
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(source), 0o644); err != nil {
		return "", "", "", err
	}
	cmd := exec.Command("bash", "-c", "ulimit -c unlimited; exec \"$0\" --edition 2021 \"$1\"", rustc, name)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RUST_MIN_STACK=", "RUST_BACKTRACE=0")
	stderr, _ := cmd.CombinedOutput()
	core = filepath.Join(dir, "core")
	if _, err := os.Stat(core); err != nil {
		return "", "", "rustc did not dump core (it may not overflow with this toolchain): " + lastLines(string(stderr), 3), nil
	}
	return core, rustc, "", nil
}

// liveRustcReport returns the report of a live rustc core analyzed with
// Options{Binary: rustc}, once per core and test binary, shared: read it,
// do not change it.
func liveRustcReport(t *testing.T, core, rustc string) *report.Report {
	t.Helper()
	v, _ := rustcReports.LoadOrStore(core, &cachedReport{})
	c := v.(*cachedReport)
	c.once.Do(func() { c.r, c.err = Analyze(core, Options{Binary: rustc}) })
	if c.err != nil {
		t.Fatal(c.err)
	}
	return c.r
}

var rustcReports sync.Map // core path → *cachedReport

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// lexerOverflow is a source file whose 20,000 nested parentheses make
// rustc's lexer recurse until its thread's 8 MiB stack overflows.
var lexerOverflow = "fn main() { let _ = " + strings.Repeat("(", 20000) + "1" + strings.Repeat(")", 20000) + "; }\n"

// TestLiveRustcOverflow is case 5 of the stack-exhaustion issue on a real
// compiler: 20,000 nested parentheses make rustc's lexer recurse until its
// 8 MiB "rustc" thread overflows; a long chain of unary minus does the
// same in the parser. The report must name the thread's stack and guard,
// the v0-demangled lexer/parser functions and the recursion.
func TestLiveRustcOverflow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, source, recursing string
	}{
		{"lexer", "input.rs", lexerOverflow, "<rustc_parse::lexer::Lexer>::lex_token_trees"},
		{"parser", "parser.rs", "fn main() { let _ = " + strings.Repeat("- ", 60000) + "1; }\n", "rustc_parse::parser"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The lexer's source is input.rs, the core
			// TestLiveRustcInput and TestLiveRustcStackerLimit read.
			core, rustc := liveRustcCore(t, tc.file, tc.source)
			r := liveRustcReport(t, core, rustc)
			if len(r.Diagnosis) == 0 || r.Diagnosis[0].Kind != "stack-overflow" {
				t.Fatalf("diagnosis %+v, want stack-overflow first", r.Diagnosis)
			}
			so := r.Diagnosis[0].StackOverflow
			if so.Stack.Kind != "thread" || so.Stack.GuardEnd != so.Stack.Start || so.Frame.Size <= 0 || so.Remaining >= so.Frame.Size+4096 {
				t.Errorf("stack %+v frame %+v remaining %d", so.Stack, so.Frame, so.Remaining)
			}
			if len(so.Recursion) == 0 || so.Recursion[0].Frames < 1000 || !strings.Contains(so.Recursion[0].Function, tc.recursing) {
				t.Errorf("recursion %+v, want >1000 frames of %s", so.Recursion, tc.recursing)
			}
			var crashed *report.Thread
			for i := range r.Threads {
				if r.Threads[i].Crashed {
					crashed = &r.Threads[i]
				}
			}
			if crashed == nil || crashed.EndReason != "end of stack" || len(crashed.Frames) < 1000 {
				t.Fatalf("crashed thread %+v", crashed)
			}
			t.Logf("%s; %d frames", r.Diagnosis[0].Summary, len(crashed.Frames))
			compareLiveWithGDB(t, core, rustc, r)
		})
	}
}

// compareLiveWithGDB requires gdb's frames for every thread of a live
// rustc core to equal coreview's, frame for frame (PCs, stack pointers,
// signal frames, names), as TestUnwindMatchesGDB does for the fixtures.
// Without gdb the comparison is skipped, saying so.
func compareLiveWithGDB(t *testing.T, core, rustc string, r *report.Report) {
	t.Helper()
	gdb, ok := testfixture.OptionalTool(t, "gdb")
	if !ok {
		t.Skip("gdb is not installed: the live core is not compared with gdb")
	}
	want, _ := rustcGDB(t, gdb, core, rustc)
	compareWithGDB(t, want, r, core, Options{Binary: rustc})
}

// rustcGDB runs gdb once on a live rustc core (per core and test binary)
// and returns its threads (frames.py) and what it printed for
// stackLimitCommand, the three words at stacker's STACK_LIMIT in the
// thread that dumped core, which gdb finds through libthread_db. Loading
// librustc_driver's symbols is most of a gdb run on rustc, and the tests
// comparing frames and STACK_LIMIT read the same lexer core.
func rustcGDB(t *testing.T, gdb, core, rustc string) (threads []gdbThread, out string) {
	t.Helper()
	cmd := stackLimitCommand(t)
	v, _ := gdbRuns.LoadOrStore(core, &gdbRun{})
	run := v.(*gdbRun)
	run.once.Do(func() {
		run.threads, run.out, run.err = gdbFramesErr(gdb, rustc, "/", "", core, cmd)
	})
	if run.err != nil {
		t.Fatal(run.err)
	}
	return run.threads, run.out
}

// stackLimitCommand is the gdb command that prints the three words at
// stacker's STACK_LIMIT thread-local, named by its symbol in
// librustc_driver.
func stackLimitCommand(t *testing.T) string {
	t.Helper()
	driver := testfixture.RustcDriver(t)
	stackLimitOnce.Do(func() {
		ef, err := elf.Open(driver)
		if err != nil {
			stackLimitErr = err
			return
		}
		syms, _ := ef.Symbols()
		ef.Close()
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) == elf.STT_TLS && strings.Contains(s.Name, "7stacker11STACK_LIMIT") {
				stackLimitSym = s.Name
			}
		}
	})
	if stackLimitErr != nil {
		t.Fatal(stackLimitErr)
	}
	return "x/3gx &'" + stackLimitSym + "'"
}

var (
	stackLimitOnce sync.Once
	stackLimitSym  string
	stackLimitErr  error
)
