package analyze

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// uncaught throws a std::runtime_error that nothing catches, and a
// std::out_of_range from std::vector::at; libstdc++'s verbose terminate
// handler prints each one's type and what() before it aborts.
const uncaught = `#include <stdexcept>
#include <string>
#include <vector>
__attribute__((noinline)) static void load(const std::string &path, int line) {
	throw std::runtime_error("config " + path + ": unexpected token at line " + std::to_string(line));
}
struct Custom { int code; };
int main(int argc, char **argv) {
	std::string mode = argc > 1 ? argv[1] : "runtime";
	if (mode == "range") {
		std::vector<int> v(3);
		return v.at(argc + 10);
	}
	if (mode == "custom")
		throw Custom{7};
	load("/etc/app.conf", 42 + argc);
	return 0;
}
`

// TestLiveCxxUncaught builds and crashes a C++ program three ways and
// checks the exception coreview reads from each core against what
// libstdc++'s terminate handler printed: the type always, what() for the
// standard exceptions, none for a type that is not std::exception.
func TestLiveCxxUncaught(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no live C++ core")
	}
	gxx := testfixture.Tool(t, "g++")
	if p, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || strings.TrimSpace(string(p)) != "core" {
		t.Skipf("core_pattern is %q, not \"core\"", strings.TrimSpace(string(p)))
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.cpp")
	if err := os.WriteFile(src, []byte(uncaught), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "prog")
	if out, err := exec.Command(gxx, "-O1", "-o", prog, src).CombinedOutput(); err != nil {
		t.Fatalf("g++: %v\n%s", err, out)
	}
	for _, mode := range []string{"runtime", "range", "custom"} {
		t.Run(mode, func(t *testing.T) {
			run := filepath.Join(dir, mode)
			if err := os.Mkdir(run, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", "-c", `ulimit -c unlimited; exec "$0" "$1"`, prog, mode)
			cmd.Dir = run
			stderr, _ := cmd.CombinedOutput()
			core := filepath.Join(run, "core")
			if _, err := os.Stat(core); err != nil {
				t.Skipf("no core: %s", stderr)
			}
			m := regexp.MustCompile(`throwing an instance of '([^']+)'\n(?:  what\(\):  (.*)\n)?`).FindSubmatch(stderr)
			if m == nil {
				t.Fatalf("terminate handler printed %q", stderr)
			}
			s, err := Open(core, Options{Binary: prog})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.Report()
			e, ok := s.last.cxxException()
			if !ok {
				t.Fatal("no exception found")
			}
			if e.Type != string(m[1]) || e.What != string(m[2]) {
				t.Errorf("exception %q what %q; libstdc++ printed %q what %q", e.Type, e.What, m[1], m[2])
			}
			t.Logf("%s: %s", e.Type, e.What)
		})
	}
}
