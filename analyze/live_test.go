package analyze

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// liveRustcCore makes rustc overflow its stack on a generated source file
// and returns the core, the real rustc binary and rustc's stderr. It skips
// when rustc is absent or the kernel does not write cores named "core" in
// the working directory.
func liveRustcCore(t testing.TB, name, source string) (core, rustc string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no live rustc core")
	}
	if _, err := exec.LookPath("rustc"); err != nil {
		t.Skip("rustc is not installed")
	}
	if p, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || strings.TrimSpace(string(p)) != "core" {
		t.Skipf("core_pattern is %q, not \"core\"", strings.TrimSpace(string(p)))
	}
	out, err := exec.Command("rustc", "--print", "sysroot").Output()
	if err != nil {
		t.Skipf("rustc --print sysroot: %v", err)
	}
	rustc = filepath.Join(strings.TrimSpace(string(out)), "bin", "rustc")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", "ulimit -c unlimited; exec \"$0\" --edition 2021 \"$1\"", rustc, name)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RUST_MIN_STACK=", "RUST_BACKTRACE=0")
	stderr, _ := cmd.CombinedOutput()
	core = filepath.Join(dir, "core")
	if _, err := os.Stat(core); err != nil {
		t.Skipf("rustc did not dump core (it may not overflow with this toolchain): %s", lastLines(string(stderr), 3))
	}
	return core, rustc
}

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
		name, source, recursing string
	}{
		{"lexer", lexerOverflow, "<rustc_parse::lexer::Lexer>::lex_token_trees"},
		{"parser", "fn main() { let _ = " + strings.Repeat("- ", 60000) + "1; }\n", "rustc_parse::parser"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			core, rustc := liveRustcCore(t, tc.name+".rs", tc.source)
			r, err := Analyze(core, Options{Binary: rustc})
			if err != nil {
				t.Fatal(err)
			}
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
	want := gdbFramesOf(t, gdb, rustc, "/", "", core)
	compareWithGDB(t, want, r, core, Options{Binary: rustc})
}
