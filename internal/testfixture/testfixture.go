// Package testfixture gives tests access to the real fixture cores under
// testdata/cores/<name>: each holds the program's binary (prog), its
// zstd-compressed core (core.zst), and the program's source and build
// script; the shared libraries the cores mapped are under testdata/sysroot.
package testfixture

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/coreview/coreview/internal/safefile"
)

// Fixture is one real core.
type Fixture struct {
	Name    string
	Dir     string
	Binary  string
	CoreZst string
}

// Root returns the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Sysroot returns the directory holding the libraries the cores mapped.
func Sysroot() string { return filepath.Join(Root(), "testdata", "sysroot") }

// All lists every fixture core; the test fails if there are none, so a lost
// testdata directory cannot pass silently.
func All(t testing.TB) []Fixture {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(Root(), "testdata", "cores", "*", "core.zst"))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) == 0 {
		t.Fatalf("no fixture cores under %s", filepath.Join(Root(), "testdata", "cores"))
	}
	var out []Fixture
	for _, m := range matches {
		dir := filepath.Dir(m)
		out = append(out, Fixture{Name: filepath.Base(dir), Dir: dir, Binary: filepath.Join(dir, "prog"), CoreZst: m})
	}
	return out
}

// Get returns the named fixture.
func Get(t testing.TB, name string) Fixture {
	t.Helper()
	for _, f := range All(t) {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("fixture %s not found", name)
	return Fixture{}
}

// RustcDriver returns the path of librustc_driver-*.so in the local Rust
// toolchain (`rustc --print sysroot`, then lib/), the 153 MB library whose
// 165,000 symbols and .eh_frame the benchmarks read; it skips tb, saying
// why, when there is none.
func RustcDriver(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command("rustc", "--print", "sysroot").Output()
	if err != nil {
		tb.Skipf("no librustc_driver: `rustc --print sysroot` failed (%v); install a Rust toolchain to run this benchmark", err)
	}
	lib := filepath.Join(strings.TrimSpace(string(out)), "lib")
	m, _ := filepath.Glob(filepath.Join(lib, "librustc_driver-*.so"))
	if len(m) == 0 {
		tb.Skipf("no librustc_driver-*.so in %s", lib)
	}
	return m[0]
}

var (
	rawMu  sync.Mutex
	rawDir string
	raws   = map[string]string{}
)

// RawCore returns the path of the fixture's core decompressed, for tools
// (gdb, delve) that read only raw cores. Each core is decompressed once per
// test binary.
func (f Fixture) RawCore(t testing.TB) string {
	t.Helper()
	rawMu.Lock()
	defer rawMu.Unlock()
	if p, ok := raws[f.CoreZst]; ok {
		return p
	}
	sharedDirLocked(t)
	in, err := os.Open(f.CoreZst)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dec, err := zstd.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	path := filepath.Join(rawDir, f.Name+".core")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the 61-thread core is 473 MB, mostly untouched stacks.
	if _, err := safefile.CopySparse(out, dec, -1); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	raws[f.CoreZst] = path
	return path
}

// SharedDir returns a temporary directory that lives as long as the test
// binary (Cleanup removes it), for files several tests share: the
// decompressed cores, copies made once and read by many.
func SharedDir(t testing.TB) string {
	t.Helper()
	rawMu.Lock()
	defer rawMu.Unlock()
	return sharedDirLocked(t)
}

func sharedDirLocked(t testing.TB) string {
	t.Helper()
	if rawDir == "" {
		d, err := os.MkdirTemp("", "coreview-fixtures-")
		if err != nil {
			t.Fatal(err)
		}
		rawDir = d
	}
	return rawDir
}

// CopyFile copies a file for a test, creating the directories it goes in;
// the copy is executable, so it serves for programs and data alike.
func CopyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// RawSize returns the size of the fixture's core once decompressed, from
// its zstd frame header, without decompressing it; -1 if the header does
// not say.
func (f Fixture) RawSize(t testing.TB) int64 {
	t.Helper()
	b := make([]byte, zstd.HeaderMaxSize)
	in, err := os.Open(f.CoreZst)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	n, _ := in.Read(b)
	var h zstd.Header
	if err := h.Decode(b[:n]); err != nil || !h.HasFCS {
		return -1
	}
	return int64(h.FrameContentSize)
}

// Cleanup removes the decompressed cores and the live ones; call it from
// TestMain.
func Cleanup() {
	cleanupLive()
	rawMu.Lock()
	defer rawMu.Unlock()
	if rawDir != "" {
		os.RemoveAll(rawDir)
	}
}
