package analyze

import "testing"

// TestGoEnclosing: a Go closure's frame is named after the function it
// belongs to, so the runtime's fatal paths run as closures are still
// recognized; a name that only ends in digits is left alone.
func TestGoEnclosing(t *testing.T) {
	for in, want := range map[string]string{
		"runtime.fatalthrow.func1":     "runtime.fatalthrow",
		"runtime.fatalpanic.func2.1":   "runtime.fatalpanic",
		"runtime.raise.abi0":           "runtime.raise",
		"main.main":                    "main.main",
		"main.v2":                      "main.v2",
		"example.com/x/y.f.func12":     "example.com/x/y.f",
		"runtime.sigpanic":             "runtime.sigpanic",
		"github.com/a/b.(*T).m.func1":  "github.com/a/b.(*T).m",
		"crypto/sha256.block.func1.10": "crypto/sha256.block",
	} {
		if got := goEnclosing(in); got != want {
			t.Errorf("goEnclosing(%q) = %q, want %q", in, got, want)
		}
	}
}
