package analyze

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestToolchainFacts checks each module's compilers against readelf's dump
// of its .comment on every fixture, the C library against its own banner
// (strings) and, on a live core, the kernel version the vDSO records
// against uname -r.
func TestToolchainFacts(t *testing.T) {
	t.Parallel()
	readelf := testfixture.Tool(t, "readelf")
	entry := regexp.MustCompile(`(?m)^\s+\[\s*[0-9a-f]+\]\s+(.*)$`)
	for _, f := range testfixture.All(t) {
		t.Run(f.Name, func(t *testing.T) {
			_, r := analyzeFixture(t, f.Name)
			for _, m := range r.Modules {
				if m.File == "" {
					continue
				}
				out, _ := exec.Command(readelf, "-p", ".comment", m.File).CombinedOutput()
				var want []string
				seen := map[string]bool{}
				for _, e := range entry.FindAllStringSubmatch(string(out), -1) {
					if s := strings.TrimSpace(e[1]); !seen[s] {
						seen[s] = true
						want = append(want, s)
					}
				}
				if strings.Join(m.Compilers, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s: compilers %q, readelf -p .comment %q", m.Path, m.Compilers, want)
				}
			}
			if r.System == nil {
				t.Fatal("no system facts")
			}
			switch f.Name {
			case "c-got-call", "c-hook-unrelocated", "c-vtable-unrelocated", "musl-relr":
				// -nostdlib programs have no C library; a static musl
				// one keeps no version where coreview can name it.
				if r.System.LibC != "" {
					t.Errorf("libc %q in a program without one coreview can name", r.System.LibC)
				}
			case "musl-relr-dynamic":
				if r.System.LibC != "musl" {
					t.Errorf("libc %q, want musl", r.System.LibC)
				}
			default:
				if r.System.LibC != "glibc 2.36 (Debian GLIBC 2.36-9+deb12u14)" {
					t.Errorf("libc %q; the sysroot's libc.so.6 says GNU C Library (Debian GLIBC 2.36-9+deb12u14) stable release version 2.36", r.System.LibC)
				}
			}
		})
	}
	// The vDSO of a core made now is this kernel's.
	f := testfixture.Get(t, "c-null-call")
	core := crashOnce(t, f.Binary)
	r, err := Analyze(core, Options{Binary: f.Binary, Sysroot: "/"})
	if err != nil {
		t.Fatal(err)
	}
	uname, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Skip(err)
	}
	rel := regexp.MustCompile(`^\d+\.\d+\.\d+`).FindString(string(uname))
	if r.System == nil || r.System.Kernel != rel {
		t.Errorf("kernel %+v, uname -r says %s", r.System, strings.TrimSpace(string(uname)))
	}
}
