package analyze

import (
	"bytes"
	"os"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestCacheRunsAgree analyzes cores three times: without the persistent
// cache, with an empty one (the entries are written beside the analysis)
// and with the filled one (the symbol indexes are searched in the entries'
// mappings, the inflated DWARF read from them). The three reports are the
// same bytes. Run with -race: the cache's writers and readers run beside
// the threads' symbolization.
func TestCacheRunsAgree(t *testing.T) {
	for _, name := range []string{"c-threads", "c-abort", "rust-thread-overflow", "rust-panic-fmt"} {
		t.Run(name, func(t *testing.T) {
			f := testfixture.Get(t, name)
			dir := t.TempDir()
			var outs [][]byte
			for i, cache := range []string{"", dir, dir} {
				opts := options(f)
				opts.CacheDir = cache
				r, err := Analyze(f.CoreZst, opts)
				if err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
				var b bytes.Buffer
				if err := r.WriteJSON(&b); err != nil {
					t.Fatal(err)
				}
				outs = append(outs, b.Bytes())
			}
			if ents, _ := os.ReadDir(dir); len(ents) == 0 {
				t.Fatalf("nothing was cached: the case tests nothing")
			} else {
				t.Logf("%d cache entries", len(ents))
			}
			for i := 1; i < len(outs); i++ {
				if !bytes.Equal(outs[i], outs[0]) {
					t.Errorf("run %d's report differs from the uncached one:\n%s\nvs\n%s", i, outs[i], outs[0])
				}
			}
		})
	}
}
