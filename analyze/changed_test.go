package analyze

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// TestCoreTruncatedWhileAnalysed: a core cut short between opening and
// analysing (the bytes its stacks need are then past the end of the
// mapping) is the analysis's error, "changed while being read", never a
// SIGBUS crash of the whole process.
func TestCoreTruncatedWhileAnalysed(t *testing.T) {
	for _, name := range []string{"c-null-call", "rust-thread-overflow"} {
		t.Run(name, func(t *testing.T) {
			f := testfixture.Get(t, name)
			raw, err := os.ReadFile(f.RawCore(t))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "core")
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, options(f))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// Keep the headers and notes, lose every dumped page.
			if err := os.Truncate(path, 4096); err != nil {
				t.Fatal(err)
			}
			r, err := s.Analyze()
			if err == nil {
				t.Fatalf("analysed a core truncated underneath: %d threads", len(r.Threads))
			}
			if !errors.Is(err, safefile.ErrChanged) || !strings.Contains(err.Error(), "changed while being read") {
				t.Errorf("error %v, want ErrChanged", err)
			}
		})
	}
}
