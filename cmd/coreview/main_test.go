package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"

	"github.com/coreview/coreview/internal/testfixture"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestBadInputs: garbage, empty, not-a-core, special files and missing
// files give one line naming the file and exit status 3, never a panic.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	elf32 := make([]byte, 64)
	copy(elf32, "\x7fELF\x01\x01\x01")
	exe, _ := os.Executable()
	tests := []struct {
		name, path, want string
	}{
		{"empty", write("empty", nil), "empty file"},
		{"garbage", write("garbage", bytes.Repeat([]byte("garbage!"), 100)), "not an ELF file"},
		{"32-bit", write("elf32", elf32), "not a 64-bit ELF file"},
		{"executable", exe, "not ET_CORE"},
		{"fifo", fifo, "named pipe"},
		{"directory", dir, "directory"},
		{"missing", filepath.Join(dir, "nope"), "no such file"},
		{"bad zstd", write("core.zst", []byte{0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3}), "zstd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI("analyze", tt.path)
			if code != exitBadInput {
				t.Errorf("exit %d, want %d", code, exitBadInput)
			}
			if stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, filepath.Base(tt.path)) {
				t.Errorf("stdout %q stderr %q: want one line naming the file and saying %q", stdout, stderr, tt.want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"analyze"},
		{"analyze", "a", "b"},
		{"analyze", "--bogus", "x"},
		{"analyze", "core", "--format", "xml"},
		{"analyze", "core", "--thread", "some"},
		{"whatis", "core", "nothex"},
		{"nosuchcommand"},
	} {
		if code, _, stderr := runCLI(args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d (stderr %q), want %d", args, code, stderr, exitUsage)
		}
	}
}

// TestAnalyzeFixture runs the README's first command and checks the JSON
// contract's shape.
func TestAnalyzeFixture(t *testing.T) {
	f := testfixture.Get(t, "c-recursion")
	code, stdout, stderr := runCLI("analyze", f.CoreZst, "--binary", f.Binary, "--sysroot", testfixture.Sysroot(), "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, `{"schema":"coreview.report/v1"`) {
		t.Errorf("JSON does not start with the schema field: %.60s", stdout)
	}
	var r struct {
		Signal struct {
			Name    string `json:"name"`
			Address string `json:"address"`
		} `json:"signal"`
		Threads []struct {
			Frames []struct {
				PC       string `json:"pc"`
				Function string `json:"function"`
				Method   string `json:"method"`
			} `json:"frames"`
		} `json:"threads"`
		Diagnosis []struct {
			Kind string `json:"kind"`
		} `json:"diagnosis"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Signal.Name != "SIGSEGV" || !strings.HasPrefix(r.Signal.Address, "0x") || len(r.Threads) != 1 ||
		r.Threads[0].Frames[0].Function != "descend" || r.Diagnosis[0].Kind != "stack-overflow" {
		t.Errorf("unexpected report: %+v", r)
	}

	code, stdout, _ = runCLI("analyze", f.CoreZst, "--binary", f.Binary, "--sysroot", testfixture.Sysroot(), "--max-frames", "5", "--thread", "crashed")
	if code != exitOK || !strings.Contains(stdout, "5 frames, frame limit") {
		t.Errorf("--max-frames 5: exit %d\n%s", code, stdout)
	}
	code, _, stderr = runCLI("analyze", f.CoreZst, "--max-core-size", "4096")
	if code != exitBadInput || !strings.Contains(stderr, "exceeds the size limit") {
		t.Errorf("--max-core-size 4096: exit %d, %s", code, stderr)
	}
	code, stdout, _ = runCLI("maps", f.CoreZst, "--binary", f.Binary, "--sysroot", testfixture.Sysroot())
	if code != exitOK || !strings.Contains(stdout, "main-stack") || !strings.Contains(stdout, "libc.so.6") {
		t.Errorf("maps: exit %d\n%s", code, stdout)
	}
}

// TestPanicIsOneLine injects a panic into each command that opens a core:
// it becomes one line on stderr and exit status 3, not a goroutine dump.
func TestPanicIsOneLine(t *testing.T) {
	for _, name := range []string{"analyze", "maps", "whatis"} {
		var out, errb bytes.Buffer
		root := newRootCmd(&out, &errb)
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd.Name() != name {
			t.Fatalf("%s: %v", name, err)
		}
		cmd.RunE = func(*cobra.Command, []string) error {
			var m map[string]int
			m["x"]++ // a nil map write: a runtime panic, as a bug would give
			return nil
		}
		args := []string{name, "core"}
		if name == "whatis" {
			args = append(args, "0x1")
		}
		code := runRoot(root, args, &errb)
		if code != exitBadInput || out.Len() != 0 || strings.Count(errb.String(), "\n") != 1 ||
			!strings.Contains(errb.String(), "internal error") || !strings.Contains(errb.String(), "nil map") {
			t.Errorf("%s: exit %d, stderr %q", name, code, errb.String())
		}
	}
}
