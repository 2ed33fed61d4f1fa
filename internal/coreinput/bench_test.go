package coreinput

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkOpenZstd opens the c-threads fixture's core.zst: 44 KB of zstd
// that decompress to a 473 MB core, mostly zeros (RLE blocks), into a
// sparse temporary file. Bytes per second are of the decompressed core.
func BenchmarkOpenZstd(b *testing.B) {
	path := filepath.Join("..", "..", "testdata", "cores", "c-threads", "core.zst")
	if _, err := os.Stat(path); err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, err := Open(path, 1<<40)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.SetBytes(c.Size())
		}
		c.Close()
	}
}
