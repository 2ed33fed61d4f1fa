package analyze

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

func TestStripGenerics(t *testing.T) {
	tests := []struct{ in, want string }{
		{"core::ptr::drop_in_place::<alloc::string::String>", "core::ptr::drop_in_place"},
		{"std::rt::lang_start::<()>::{closure#0}", "std::rt::lang_start::{closure#0}"},
		{"<std::sys::thread::unix::Thread>::new::thread_start", "<std::sys::thread::unix::Thread>::new::thread_start"},
		{"<alloc::vec::Vec<u8> as core::clone::Clone>::clone", "<alloc::vec::Vec as core::clone::Clone>::clone"},
		{"std::vector<int, std::allocator<int> >::push_back(int const&)", "std::vector::push_back(int const&)"},
		{"rec", "rec"},
	}
	for _, tt := range tests {
		if got := stripGenerics(tt.in); got != tt.want {
			t.Errorf("stripGenerics(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStripClone: the compiler's clone marks leave signature names.
func TestStripClone(t *testing.T) {
	for in, want := range map[string]string{
		"foo::bar() [clone .cold]":          "foo::bar()",
		"foo::bar() [clone .part.0]":        "foo::bar()",
		"f() [clone .isra.0] [clone .cold]": "f()",
		"parse[cold]":                       "parse",
		"bar.constprop[cold]":               "bar.constprop",
		"std::foo::<a, b>":                  "std::foo::<a, b>",
		"arr[i]":                            "arr[i]",
	} {
		if got := stripClone(in); got != want {
			t.Errorf("stripClone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSignatureStable: a compressed and a raw copy of a core, and two runs
// of the same program (different ASLR bases), get the same signature;
// different bugs get different ones.
func TestSignatureStable(t *testing.T) {
	seen := map[string]string{}
	for _, f := range testfixture.All(t) {
		zr, err := Analyze(f.CoreZst, options(f))
		if err != nil {
			t.Fatal(err)
		}
		rr, err := Analyze(f.RawCore(t), options(f))
		if err != nil {
			t.Fatal(err)
		}
		if zr.SignatureHash != rr.SignatureHash || zr.Signature != rr.Signature {
			t.Errorf("%s: compressed %q, raw %q", f.Name, zr.Signature, rr.Signature)
		}
		if other, dup := seen[zr.SignatureHash]; dup {
			t.Errorf("%s and %s share the signature %q", f.Name, other, zr.Signature)
		}
		seen[zr.SignatureHash] = f.Name
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
	fixture, _ := Analyze(f.CoreZst, options(f))
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
