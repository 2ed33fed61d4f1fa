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

// TestSignatureStable: a compressed and a raw copy of a core, and two runs
// of the same program (different ASLR bases), get the same signature;
// different bugs get different ones, and one bug reached two ways the same.
func TestSignatureStable(t *testing.T) {
	t.Parallel()
	// sameBug are fixtures of one program crashing the same way on input
	// it holds differently (c-parse: a malloc'd buffer, an mmap'ed file).
	sameBug := map[string]string{"c-parse-mmap": "c-parse-heap"}
	sigOf := map[string]string{}
	seen := map[string]string{}
	for _, f := range testfixture.All(t) {
		zr := fixtureReport(t, f)
		rr, err := Analyze(f.RawCore(t), options(f))
		if err != nil {
			t.Fatal(err)
		}
		if zr.SignatureHash != rr.SignatureHash || zr.Signature != rr.Signature {
			t.Errorf("%s: compressed %q, raw %q", f.Name, zr.Signature, rr.Signature)
		}
		sigOf[f.Name] = zr.SignatureHash
		if other, dup := seen[zr.SignatureHash]; dup && sameBug[f.Name] != other && sameBug[other] != f.Name {
			t.Errorf("%s and %s share the signature %q", f.Name, other, zr.Signature)
		}
		seen[zr.SignatureHash] = f.Name
	}
	for a, b := range sameBug {
		if sigOf[a] != sigOf[b] {
			t.Errorf("%s and %s are one bug, but their signatures differ: %s, %s", a, b, sigOf[a], sigOf[b])
		}
	}
	// Two fresh runs of one fixture program, when this machine writes cores.
	f := testfixture.Get(t, "c-null-call")
	var sigs []string
	for i := 0; i < 2; i++ {
		core := crashOnce(t, f.Binary)
		r, err := Analyze(core, Options{Binary: f.Binary, Sysroot: "/"})
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, r.SignatureHash)
	}
	fixture := fixtureReport(t, f)
	if sigs[0] != sigs[1] || sigs[0] != fixture.SignatureHash {
		t.Errorf("signatures across runs: %v, fixture %s", sigs, fixture.SignatureHash)
	}
}

// crashOnce runs prog in a temporary directory with cores enabled and
// returns the core, or skips when the machine does not write cores there.
func crashOnce(t *testing.T, prog string) string {
	t.Helper()
	if p, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || strings.TrimSpace(string(p)) != "core" {
		t.Skip("core_pattern is not \"core\"")
	}
	dir := t.TempDir()
	cmd := exec.Command("bash", "-c", "ulimit -c unlimited; exec \"$0\"", prog)
	cmd.Dir = dir
	cmd.Run()
	core := filepath.Join(dir, "core")
	if _, err := os.Stat(core); err != nil {
		t.Skip("no core was written")
	}
	return core
}

// TestSignatureDifferentBugs: different bugs in different user functions
// get different signatures whose first frame is the user function, not
// the panic or abort machinery they share (which collapsed every Rust
// panic = "abort" core into __rustc::__rust_abort ← __rustc::__rust_start_panic ← …).
func TestSignatureDifferentBugs(t *testing.T) {
	tests := []struct{ fixture, first string }{
		{"rust-panic-abort", "panic_abort::lookup"},
		{"rust-panic-nested", "nested_panic::parse_config"},
		{"rust-process-abort", "process_abort::validate_header"},
		{"rust-ud2", "trap_ud2::checked_slot"},
		{"c-abort", "check_answer"},
		{"c-hook-unrelocated", "checkpoint"},
		{"c-got-call", "save_state"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		f := testfixture.Get(t, tt.fixture)
		r := fixtureReport(t, f)
		_, frames, _ := strings.Cut(r.Signature, ": ")
		if first, _, _ := strings.Cut(frames, " ← "); first != tt.first {
			t.Errorf("%s: signature %q, want it to start at %s", tt.fixture, r.Signature, tt.first)
		}
		if other, dup := seen[r.SignatureHash]; dup {
			t.Errorf("%s and %s share the signature %q", tt.fixture, other, r.Signature)
		}
		seen[r.SignatureHash] = tt.fixture
	}
}

// TestSignatureAcrossRuns: committed pairs of cores from two runs of one
// program, where ASLR loaded every module at other addresses, get the same
// signature.
func TestSignatureAcrossRuns(t *testing.T) {
	for _, name := range []string{"c-null-call", "c-abort"} {
		f := testfixture.Get(t, name)
		first := fixtureReport(t, f)
		second, err := Analyze(filepath.Join(f.Dir, "run2", "core.zst"), options(f))
		if err != nil {
			t.Fatal(err)
		}
		if first.Modules[0].Base == second.Modules[0].Base {
			t.Errorf("%s: both runs loaded %s at %#x; want two ASLR layouts", name, first.Modules[0].Path, uint64(first.Modules[0].Base))
		}
		if first.Signature != second.Signature || first.SignatureHash != second.SignatureHash {
			t.Errorf("%s: run 1 %q [%s], run 2 %q [%s]", name, first.Signature, first.SignatureHash, second.Signature, second.SignatureHash)
		}
	}
}

// TestSignatureAcrossRebuilds: the fixture's source rebuilt with an extra
// object and an extra function linked in (every address moves) crashes with
// the same signature as the committed core. Needs gcc and cores written
// as "core".
func TestSignatureAcrossRebuilds(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	for _, name := range []string{"c-null-call", "c-abort"} {
		f := testfixture.Get(t, name)
		dir := t.TempDir()
		pad := filepath.Join(dir, "pad.c")
		if err := os.WriteFile(pad, []byte("int pad_table[4096] = {1};\n__attribute__((noinline)) int pad_function(int x) { return pad_table[x & 4095] * 3; }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		prog := filepath.Join(dir, "prog")
		// pad.o first, so that the fixture's functions move.
		if out, err := exec.Command("gcc", "-O1", "-o", prog, pad, filepath.Join(f.Dir, "main.c")).CombinedOutput(); err != nil {
			t.Fatalf("gcc: %v\n%s", err, out)
		}
		core := crashOnce(t, prog)
		rebuilt, err := Analyze(core, Options{Binary: prog, Sysroot: "/"})
		if err != nil {
			t.Fatal(err)
		}
		fixture := fixtureReport(t, f)
		if rebuilt.Signature != fixture.Signature {
			t.Errorf("%s: rebuilt %q, fixture %q", name, rebuilt.Signature, fixture.Signature)
		}
		if offsetOf(rebuilt, "main") == offsetOf(fixture, "main") {
			t.Errorf("%s: main is at %#x in both builds; the rebuild should move it", name, offsetOf(fixture, "main"))
		}
	}
}

// offsetOf is the module offset of the crashed thread's first frame in fn.
func offsetOf(r *report.Report, fn string) uint64 {
	for _, th := range r.Threads {
		for _, f := range th.Frames {
			if th.Crashed && f.Function == fn {
				return uint64(f.ModuleOffset)
			}
		}
	}
	return 0
}
