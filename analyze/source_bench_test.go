package analyze

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkAnalyzeBigDWARF analyzes the core of a Rust debug build with
// 140 MB of DWARF whose stack crosses 20 of its compilation units
// (bench/bigdwarf/gen.py; bench/bigdwarf.sh builds it and sets
// COREVIEW_BIGDWARF to its directory, holding bigdwarf and core).
func BenchmarkAnalyzeBigDWARF(b *testing.B) {
	dir := os.Getenv("COREVIEW_BIGDWARF")
	if dir == "" {
		b.Skip("COREVIEW_BIGDWARF is not set (bench/bigdwarf.sh makes the core)")
	}
	opts := Options{Binary: filepath.Join(dir, "bigdwarf")}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Analyze(filepath.Join(dir, "core"), opts)
		if err != nil {
			b.Fatal(err)
		}
		if r.CrashedThread().Frames[5].Line == 0 {
			b.Fatal("no source line for frame #5")
		}
	}
}
