package testfixture

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// childEnv names the test a re-executed test binary is to run as the
// measured child, and childLimit the address-space limit it sets first.
const (
	childEnv   = "COREVIEW_RSS_CHILD"
	childLimit = "COREVIEW_RSS_LIMIT"
)

// InChild reports whether this process is the child RunInChild started
// for t. The child limits its own address space (RLIMIT_AS) before it does
// anything else, so a regression runs out of memory instead of taking the
// shared machine with it.
func InChild(t testing.TB) bool {
	if os.Getenv(childEnv) != t.Name() {
		return false
	}
	if v, err := strconv.ParseUint(os.Getenv(childLimit), 10, 64); err == nil && v > 0 {
		lim := syscall.Rlimit{Cur: v, Max: v}
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &lim); err != nil {
			t.Fatalf("setrlimit: %v", err)
		}
	}
	return true
}

// RunInChild re-executes the test binary to run the top-level test t
// alone, with its address space limited to asLimit bytes, and returns the
// child's peak resident set size in bytes (getrusage's ru_maxrss of the
// waited-for child). The test fails if the child does. Memory budgets are
// asserted this way because a process's own peak includes every test
// that ran before it.
func RunInChild(t *testing.T, asLimit uint64) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name(), childLimit+"="+strconv.FormatUint(asLimit, 10))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", t.Name(), err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()+" ") {
		t.Fatalf("child did not run %s:\n%s", t.Name(), out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatalf("no rusage for the child")
	}
	if testing.Verbose() {
		t.Logf("child output:\n%s", out)
	}
	return ru.Maxrss << 10 // KiB on Linux
}
