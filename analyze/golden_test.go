package analyze

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/golden")

// TestGoldenReports holds the text and JSON reports of every fixture core in
// testdata/golden; `go test ./analyze -update` rewrites them, and the diff
// is reviewed like code. The checkout's location in the paths of opened
// files is replaced by $ROOT.
func TestGoldenReports(t *testing.T) {
	root := testfixture.Root()
	t.Parallel()
	for _, f := range testfixture.All(t) {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			rel, _ := filepath.Rel(root, f.CoreZst)
			r := cloneReport(fixtureReport(t, f))
			r.Core = rel
			// Files coreview opened depend on where the repository is
			// checked out; paths recorded in the core do not.
			for i := range r.Modules {
				r.Modules[i].File = strings.Replace(r.Modules[i].File, root, "$ROOT", 1)
				r.Modules[i].DebugFile = strings.Replace(r.Modules[i].DebugFile, root, "$ROOT", 1)
			}
			for i := range r.Warnings {
				r.Warnings[i] = strings.ReplaceAll(r.Warnings[i], root, "$ROOT")
			}
			var text, js, md bytes.Buffer
			if err := render.Text(&text, r, render.TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := render.Markdown(&md, r, render.MarkdownOptions{}); err != nil {
				t.Fatal(err)
			}
			// The JSON golden keeps the first and last frames of long
			// stacks so that its diff stays readable; every frame is
			// checked against gdb in TestUnwindMatchesGDB.
			for i := range r.Threads {
				if fr := r.Threads[i].Frames; len(fr) > 2*goldenFrames {
					r.Threads[i].Frames = append(fr[:goldenFrames:goldenFrames], fr[len(fr)-goldenFrames:]...)
				}
			}
			enc := json.NewEncoder(&js)
			enc.SetIndent("", " ")
			if err := enc.Encode(r); err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{".txt": text.Bytes(), ".json": js.Bytes()}
			if f.Name == "stacker-segment" || f.Name == "c-abort" {
				// The Markdown layout, held on two reports.
				files[".md"] = md.Bytes()
			}
			for ext, got := range files {
				path := filepath.Join(root, "testdata", "golden", f.Name+ext)
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./analyze -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the golden file; first difference:\n%s", path, firstDiff(string(want), string(got)))
				}
			}
		})
	}
}

// goldenFrames is how many frames at each end of a stack the JSON golden
// files keep.
const goldenFrames = 12

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, wl, gl)
		}
	}
	return "(none)"
}
