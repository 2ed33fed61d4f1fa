package analyze

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestRustPanicMatchesStderr recovers each panic = "abort" fixture's panic
// from its core and compares it with what the program printed (the
// build script keeps its stderr): the location always, the message
// exactly when one is given. The last panic printed is the one that
// aborted. A message is required for each: formatted panics, expect's
// Display, a literal, and the runtime's own "panic in a destructor during
// cleanup".
func TestRustPanicMatchesStderr(t *testing.T) {
	for _, tc := range []struct {
		name        string
		wantMessage bool
	}{
		{"rust-panic-abort", true},
		{"rust-panic-fmt", true},
		{"rust-expect-none", true},
		{"rust-panic-literal", true},
		{"rust-panic-nested", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := testfixture.Get(t, tc.name)
			stderr, err := os.ReadFile(filepath.Join(f.Dir, "stderr.txt"))
			if err != nil {
				t.Fatal(err)
			}
			all := regexp.MustCompile(`(?m)^thread '[^']*' \(\d+\) panicked at (.*):(\d+):(\d+):\n(.*)$`).FindAllStringSubmatch(string(stderr), -1)
			if len(all) == 0 {
				t.Fatalf("no panic in stderr.txt")
			}
			want := all[len(all)-1]
			s, err := Open(f.CoreZst, options(f))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.Report()
			p, ok := s.last.rustPanic()
			if !ok {
				t.Fatal("no panic found")
			}
			got := fmt.Sprintf("%s:%d:%d", p.Location.File, p.Location.Line, p.Location.Column)
			if got != want[1]+":"+want[2]+":"+want[3] {
				t.Errorf("location %s, the program printed %s:%s:%s", got, want[1], want[2], want[3])
			}
			if p.Message != "" && p.Message != want[4] {
				t.Errorf("message %q, the program printed %q", p.Message, want[4])
			}
			if tc.wantMessage && p.Message == "" {
				t.Errorf("no message; the program printed %q", want[4])
			}
			t.Logf("panicked at %s: %s", got, p.Message)
		})
	}
	// Not a panic: no location, no message.
	for _, name := range []string{"c-abort", "rust-process-abort", "rust-ud2"} {
		f := testfixture.Get(t, name)
		s, err := Open(f.CoreZst, options(f))
		if err != nil {
			t.Fatal(err)
		}
		s.Report()
		if p, ok := s.last.rustPanic(); ok {
			t.Errorf("%s: panic %+v found where there is none", name, p)
		}
		s.Close()
	}
}
