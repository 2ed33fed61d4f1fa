package testfixture

import (
	"fmt"
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
	t.Cleanup(func() {
		// The child's own high-water mark: ru_maxrss of a child
		// counts the parent's memory too when the child was started
		// with vfork (as os/exec does), and so the parent's input
		// generator.
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				fmt.Printf("\n%s %s\n", hwmTag, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			}
		}
	})
	return true
}

// hwmTag marks the line the child prints its VmHWM (in KiB) on.
const hwmTag = "COREVIEW_VMHWM_KIB"

// RunInChild re-executes the test binary to run the top-level test t
// alone, with its address space limited to asLimit bytes, and returns the
// child's peak resident set size in bytes (the VmHWM of its own address
// space, /proc/PID/status, which the child prints as it ends). The test fails if the child does. Memory budgets are
// asserted this way because a process's own peak includes every test
// that ran before it. env is added to the child's environment (an input
// the parent generated, so that generating it is not measured).
func RunInChild(t *testing.T, asLimit uint64, env ...string) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name(), childLimit+"="+strconv.FormatUint(asLimit, 10))
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", t.Name(), err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()+" ") {
		t.Fatalf("child did not run %s:\n%s", t.Name(), out)
	}
	if testing.Verbose() {
		t.Logf("child output:\n%s", out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, hwmTag+" "); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return kib << 10
			}
		}
	}
	t.Fatalf("the child printed no %s line:\n%s", hwmTag, out)
	return 0
}
