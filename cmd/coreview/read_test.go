package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestReadCommand dumps the bytes at and below the main stack's low end
// of c-recursion in both formats: unmapped bytes are ?? with the reason,
// the stack's bytes hex with their mapping named once; bad arguments are
// usage errors.
func TestReadCommand(t *testing.T) {
	f := testfixture.Get(t, "c-recursion")
	code, stdout, stderr := runCLI("analyze", f.CoreZst, "--binary", f.Binary, "--sysroot", testfixture.Sysroot(), "--format", "json")
	if code != exitOK {
		t.Fatalf("analyze: exit %d: %s", code, stderr)
	}
	var r struct {
		Diagnosis []struct {
			Stack struct{ Start string } `json:"stack"`
		} `json:"diagnosis"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || len(r.Diagnosis) == 0 {
		t.Fatalf("analyze JSON: %v", err)
	}
	var lo uint64
	fmt.Sscanf(r.Diagnosis[0].Stack.Start, "0x%x", &lo)
	at := fmt.Sprintf("%#x", lo-16)
	code, stdout, stderr = runCLI("read", f.CoreZst, at, "--length", "48", "--binary", f.Binary, "--sysroot", testfixture.Sysroot())
	if code != exitOK {
		t.Fatalf("read: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 5 || !strings.Contains(lines[1], strings.TrimSpace(strings.Repeat("?? ", 16))) || !strings.HasSuffix(lines[1], "(not mapped)") ||
		!strings.HasPrefix(lines[2], "the main thread's stack [") || strings.Contains(lines[3]+lines[4], "??") {
		t.Errorf("read printed:\n%s", stdout)
	}
	code, stdout, _ = runCLI("read", f.CoreZst, at, "--length", "32", "--format", "json", "--binary", f.Binary, "--sysroot", testfixture.Sysroot())
	var d struct {
		Lines []struct {
			Hex, Unreadable, Role string
		} `json:"lines"`
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &d) != nil || len(d.Lines) != 2 || d.Lines[0].Unreadable != "not mapped" || d.Lines[1].Role != "main-stack" {
		t.Errorf("read --format json (exit %d):\n%s", code, stdout)
	}
	for _, args := range [][]string{
		{"read", f.CoreZst},
		{"read", f.CoreZst, "nothex"},
		{"read", f.CoreZst, at, "--length", "0"},
		{"read", f.CoreZst, at, "--length", "99999999"},
		{"read", f.CoreZst, at, "--format", "xml"},
	} {
		if code, _, stderr := runCLI(args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d (stderr %q), want %d", args, code, stderr, exitUsage)
		}
	}
}
