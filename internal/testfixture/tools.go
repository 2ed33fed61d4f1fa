package testfixture

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTools reports whether tests must fail, not skip, when an external
// tool they need (gdb, ant) is missing: under COREVIEW_REQUIRE_TOOLS=1,
// which .ci/run sets after installing them, or in CI (CI=true or 1), so a
// failed install cannot pass as skipped tests.
func RequireTools() bool {
	if os.Getenv("COREVIEW_REQUIRE_TOOLS") == "1" {
		return true
	}
	ci := os.Getenv("CI")
	return ci == "true" || ci == "1"
}

// Tool returns the path of an external tool a test needs. When it is
// missing the test skips, saying so, or fails when RequireTools. Under
// -short, gdb counts as missing and never fails: the test skips.
func Tool(t testing.TB, name string) string {
	t.Helper()
	if name == "gdb" && testing.Short() {
		t.Skip("-short: no comparison with gdb")
	}
	p, ok := OptionalTool(t, name)
	if !ok {
		t.Skipf("%s is not installed", name)
	}
	return p
}

// OptionalTool returns the path of a tool that a test uses for part of its
// checks, and whether it is installed; when RequireTools, a missing tool
// fails the test.
func OptionalTool(t testing.TB, name string) (string, bool) {
	t.Helper()
	if name == "gdb" && testing.Short() {
		// -short leaves out the comparisons with gdb, most of the
		// suite's time: gdb loads every core and its debug files.
		return "", false
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return p, true
	}
	if RequireTools() {
		t.Fatalf("%s is not installed, and COREVIEW_REQUIRE_TOOLS=1 or CI is set: .ci/run should have installed it", name)
	}
	return "", false
}
