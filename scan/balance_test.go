package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestLargestFirst: cores are started largest first, equal sizes in path
// order, a core that cannot be stat'ed last; a compressed core counts the
// size its stream declares.
func TestLargestFirst(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, size := range []int{10, 300, 10, 2000, 0} {
		p := filepath.Join(dir, string(rune('a'+i)))
		if err := os.WriteFile(p, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	paths = append(paths, filepath.Join(dir, "gone"))
	// A few bytes of zstd that declare 1 MiB, and a few that declare
	// 1,000.
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{1 << 20, 1000} {
		p := filepath.Join(dir, fmt.Sprintf("z%d.zst", i))
		if err := os.WriteFile(p, enc.EncodeAll(make([]byte, n), nil), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if got, want := largestFirst(paths), []int{6, 3, 7, 1, 0, 2, 4, 5}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
