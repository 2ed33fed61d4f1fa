package analyze

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
)

// FuzzAnalyze runs the whole pipeline (notes, memory, modules, unwinding,
// diagnoses, JSON) on mutated real cores.
func FuzzAnalyze(f *testing.F) {
	for _, name := range []string{"musl-relr", "c-null-deref"} {
		b, err := os.ReadFile(testfixture.Get(f, name).RawCore(f))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	opts := options(testfixture.Get(f, "c-null-deref"))
	opts.MaxFrames = 2000
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := corefile.NewFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		s := NewSession("fuzz", c, opts)
		defer s.Close()
		r := s.Report()
		r.WriteJSON(io.Discard)
		render.Text(io.Discard, r, render.TextOptions{})
		render.Markdown(io.Discard, r, render.MarkdownOptions{Limit: render.DefaultMarkdownLimit})
	})
}
