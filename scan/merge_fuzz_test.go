package scan

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzMerge: any bytes as a JSON Lines file or a baseline give a result or
// an error, never a panic; what merges writes in every format.
func FuzzMerge(f *testing.F) {
	var b bytes.Buffer
	handBuilt().WriteJSONL(&b)
	f.Add(b.Bytes())
	b.Reset()
	handBuilt().Baseline().Write(&b)
	f.Add(b.Bytes())
	f.Add([]byte(`{"type":"core","path":"a","signature_hash":"0123456789abcdef","stack":[{"function":"f","frame":-1}]}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if bl, err := ReadBaseline(p); err == nil {
			bl.State("0123456789abcdef")
		}
		res, err := Merge([]string{p})
		if err != nil {
			return
		}
		var out bytes.Buffer
		res.WriteTable(&out)
		res.WriteJSONL(&out)
		res.WriteMarkdown(&out)
		res.WriteJUnit(&out)
		res.WriteSARIF(&out, SARIFOptions{SourceRoot: t.TempDir()})
	})
}
