package inputs

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// FuzzFind runs the input search on hostile memory: every 8-byte word of
// the input is also a holder, the memory one region of each source. It
// must not panic, and what it reports must lie in the memory.
func FuzzFind(f *testing.F) {
	text := []byte("fn main() { let _ = ((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))); }\n")
	seed := make([]byte, 16, 256)
	binary.LittleEndian.PutUint64(seed[8:], 0x41|1) // a malloc chunk header
	seed = append(seed, text...)
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		const base = 0x10000
		mem := testfixture.FlatMemory{Base: base, B: b}
		var hs []Held
		for i := 0; i+8 <= len(b) && len(hs) < 64; i += 8 {
			hs = append(hs, Held{Values: []uint64{binary.LittleEndian.Uint64(b[i:])}, Frame: i / 64, Where: "stack slot"})
			hs = append(hs, Held{Values: []uint64{base + uint64(i)}, Frame: i / 64, Where: "rdi"})
		}
		for _, src := range []Source{SourceHeap, SourceAnon, SourceStack, SourceFile} {
			rs := []Region{{Start: base, End: base + uint64(len(b)), Source: src, FileSize: -1}}
			for _, in := range Find(mem, rs, slices.Values(hs), []File{{Name: "f", Size: int64(len(b)), R: nil}}[:0]) {
				if in.Address < base || in.Address > base+uint64(len(b)) || in.Offset < 0 || len(in.Excerpt) > 2*excerptSide {
					t.Fatalf("input outside the memory: %+v", in)
				}
			}
		}
	})
}
