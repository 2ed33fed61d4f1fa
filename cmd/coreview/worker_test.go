package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestMain lets the test binary serve as scan's worker: scan runs the
// current executable with "worker" for each core, which under go test is
// this binary. It removes the fixture cores the tests decompressed.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	testfixture.Cleanup()
	os.Exit(code)
}

// TestScanIsolatesOutOfMemory: a core whose analysis needs more than
// --max-memory is that core's error row, saying so; the scan goes on to
// the end and exits 3. (Here every core is one: the limit is set far
// below what any analysis takes.)
func TestScanIsolatesOutOfMemory(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	dir := t.TempDir()
	for name, src := range map[string]string{"core.zst": f.CoreZst, "bin": f.Binary} {
		testfixture.CopyFile(t, src, filepath.Join(dir, name))
	}
	code, stdout, stderr := runCLI("scan", dir, "--format", "jsonl", "--max-memory", "1", "--sysroot", testfixture.Sysroot())
	if code != exitBadInput || !strings.Contains(stdout, "ran out of memory (its limit is 0 MiB, --max-memory)") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	// The same core with the default limit is analyzed.
	code, stdout, _ = runCLI("scan", dir, "--format", "jsonl", "--sysroot", testfixture.Sysroot())
	if code != exitCrashes || !strings.Contains(stdout, `"signature_hash"`) {
		t.Errorf("default limit: exit %d\n%s", code, stdout)
	}
}
