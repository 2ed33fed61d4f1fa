package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
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
	if !strings.HasPrefix(stdout, `{"schema":"coreview.report/v1.2"`) {
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
	if code != exitOK || !strings.Contains(stdout, "frames (5 shown), end of stack") {
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

// TestThreadSelection: --thread TID prints that thread alone; a thread id
// the core does not hold is a usage error naming the threads it does.
func TestThreadSelection(t *testing.T) {
	f := testfixture.Get(t, "c-threads")
	// The raw core, decompressed once: the zstd one would be inflated
	// (473 MB, mostly holes) by each of the three runs.
	base := []string{"analyze", f.RawCore(t), "--binary", f.Binary, "--sysroot", testfixture.Sysroot()}
	code, stdout, stderr := runCLI(append(base, "--format", "json")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Threads []struct {
			TID     int  `json:"tid"`
			Crashed bool `json:"crashed"`
		} `json:"threads"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Threads) < 3 {
		t.Fatalf("c-threads has %d threads", len(r.Threads))
	}
	// A thread that did not crash.
	other := r.Threads[0].TID
	for _, th := range r.Threads {
		if !th.Crashed {
			other = th.TID
			break
		}
	}
	tid := strconv.Itoa(other)
	code, stdout, stderr = runCLI(append(base, "--thread", tid)...)
	if code != exitOK || strings.Count(stdout, "\nthread ") != 1 || !strings.Contains(stdout, "\nthread "+tid+":") {
		t.Errorf("--thread %s: exit %d, want exactly that thread:\n%s%s", tid, code, stdout, stderr)
	}
	code, stdout, _ = runCLI(append(base, "--thread", tid, "--format", "json")...)
	if err := json.Unmarshal([]byte(stdout), &r); code != exitOK || err != nil || len(r.Threads) != 1 || r.Threads[0].TID != other {
		t.Errorf("--thread %s --format json: exit %d, %v, threads %+v", tid, code, err, r.Threads)
	}

	code, stdout, stderr = runCLI(append(base, "--thread", "12345")...)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "no such thread") || !strings.Contains(stderr, tid) {
		t.Errorf("--thread 12345: exit %d, stdout %q, stderr %q; want %d and the threads listed", code, stdout, stderr, exitUsage)
	}
}

// analyzeJSON runs analyze --format json and decodes the parts these tests
// read.
func analyzeJSON(t *testing.T, args ...string) (report struct {
	Modules []struct {
		Path   string `json:"path"`
		File   string `json:"file"`
		Status string `json:"status"`
	} `json:"modules"`
	Threads []struct {
		Crashed bool `json:"crashed"`
		Frames  []struct {
			Function     string `json:"function"`
			Symbol       string `json:"symbol"`
			Module       string `json:"module"`
			ModuleOffset string `json:"module_offset"`
		} `json:"frames"`
	} `json:"threads"`
	Warnings []string `json:"warnings"`
}) {
	t.Helper()
	code, stdout, stderr := runCLI(append([]string{"analyze", "--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("analyze %v: exit %d: %s", args, code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatal(err)
	}
	return report
}

// TestMissingLibrary: with libc absent (an empty sysroot) the report warns
// and libc's frames print as libc.so.6+offset.
func TestMissingLibrary(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	empty := t.TempDir()
	r := analyzeJSON(t, f.CoreZst, "--binary", f.Binary, "--sysroot", empty)
	warned := false
	for _, w := range r.Warnings {
		if strings.Contains(w, "libc.so.6: file not found") && strings.Contains(w, "module+offset") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no missing-libc warning in %q", r.Warnings)
	}
	libcFrames := 0
	for _, fr := range r.Threads[0].Frames {
		if fr.Module == "libc.so.6" {
			libcFrames++
			if fr.Function != "" || !strings.HasPrefix(fr.ModuleOffset, "0x") {
				t.Errorf("libc frame %+v: want no function, a module offset", fr)
			}
		}
	}
	if libcFrames == 0 {
		t.Errorf("no libc.so.6 frame: %+v", r.Threads[0].Frames)
	}
	code, text, stderr := runCLI("analyze", f.CoreZst, "--binary", f.Binary, "--sysroot", empty)
	if code != exitOK || !strings.Contains(text, "  libc.so.6+0x") || !strings.Contains(stderr, "warning: module /usr/lib/x86_64-linux-gnu/libc.so.6: file not found") {
		t.Errorf("text: exit %d\n%s\nstderr: %s", code, text, stderr)
	}
}

// TestSearchPathByBuildID: a --search-path directory holding a wrong file
// named libc.so.6 (the loader, another build-id) loses to the right libc
// under another name in a later directory, found by its build-id.
func TestSearchPathByBuildID(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	libdir := filepath.Join(testfixture.Sysroot(), "usr", "lib", "x86_64-linux-gnu")
	wrongDir, rightDir := t.TempDir(), t.TempDir()
	testfixture.CopyFile(t, filepath.Join(libdir, "ld-linux-x86-64.so.2"), filepath.Join(wrongDir, "libc.so.6"))
	testfixture.CopyFile(t, filepath.Join(libdir, "libc.so.6"), filepath.Join(rightDir, "renamed-libc.so"))
	r := analyzeJSON(t, f.CoreZst, "--binary", f.Binary, "--sysroot", t.TempDir(),
		"--search-path", wrongDir, "--search-path", rightDir)
	found := false
	for _, m := range r.Modules {
		if strings.HasSuffix(m.Path, "/libc.so.6") {
			found = true
			if m.File != filepath.Join(rightDir, "renamed-libc.so") || m.Status != "ok" {
				t.Errorf("libc from %s (%s), want %s", m.File, m.Status, filepath.Join(rightDir, "renamed-libc.so"))
			}
		}
	}
	if !found {
		t.Fatalf("no libc module: %+v", r.Modules)
	}
	// libc's symbols and CFI are read: the walk goes through
	// __libc_start_main to _start.
	named := false
	for _, fr := range r.Threads[0].Frames {
		named = named || fr.Module == "libc.so.6" && fr.Function == "__libc_start_main"
	}
	if !named {
		t.Errorf("no __libc_start_main frame: %+v", r.Threads[0].Frames)
	}
}

// TestRawSymbols: --raw-symbols keeps Rust's mangled names; by default
// they are demangled.
func TestRawSymbols(t *testing.T) {
	f := testfixture.Get(t, "rust-panic-abort")
	args := []string{f.CoreZst, "--binary", f.Binary, "--sysroot", testfixture.Sysroot()}
	mangled := func(raw bool) (n int, names []string) {
		a := args
		if raw {
			a = append(a, "--raw-symbols")
		}
		r := analyzeJSON(t, a...)
		for _, th := range r.Threads {
			for _, fr := range th.Frames {
				names = append(names, fr.Function)
				if strings.HasPrefix(fr.Function, "_ZN") {
					n++
					if fr.Function != fr.Symbol {
						t.Errorf("raw function %q, symbol %q", fr.Function, fr.Symbol)
					}
				}
			}
		}
		return n, names
	}
	if n, names := mangled(true); n == 0 {
		t.Errorf("--raw-symbols: no mangled name among %q", names)
	}
	if n, names := mangled(false); n != 0 {
		t.Errorf("default: %d mangled names among %q", n, names)
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
			//lint:ignore SA5000 the nil map write is the point: a runtime panic, as a bug would give
			m["x"]++
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
