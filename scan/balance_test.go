package scan

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestLargestFirst: cores are started largest first, equal sizes in path
// order, a core that cannot be stat'ed last.
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
	if got, want := largestFirst(paths), []int{3, 1, 0, 2, 4, 5}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
