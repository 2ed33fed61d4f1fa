package rustpanic

import (
	"encoding/binary"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"unicode/utf8"
)

// halves calls the first half of the memory read-only data and the second
// the heap.
type halves struct{ base, mid, end uint64 }

func (h halves) ReadOnlyData(a uint64) bool { return a >= h.base && a < h.mid }
func (h halves) Heap(a uint64) bool         { return a >= h.mid && a < h.end }
func (h halves) Function(a uint64) string {
	if a%2 == 0 {
		return "<std::panicking::panic_handler::StaticStrPayload as core::panic::PanicPayload>::get"
	}
	return ""
}

// FuzzFind reads panics out of hostile memory: the frames are the
// input's stack, in two frames, the first named panic_fmt. It must not
// panic, and a location it returns must be valid text.
func FuzzFind(f *testing.F) {
	seed := make([]byte, 96)
	binary.LittleEndian.PutUint64(seed[0:], 0x10000+64) // -> Location
	binary.LittleEndian.PutUint64(seed[64:], 0x10000+88)
	binary.LittleEndian.PutUint64(seed[72:], 7)
	binary.LittleEndian.PutUint32(seed[80:], 7)
	binary.LittleEndian.PutUint32(seed[84:], 5)
	copy(seed[88:], "main.rs\x00")
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		const base = 0x10000
		end := base + uint64(len(b))
		frames := []Frame{{Function: "core::panicking::panic_fmt", SP: base, CFA: base + uint64(len(b)/2)}, {Function: "main", SP: base + uint64(len(b)/2), CFA: end}}
		p, ok := Find(testfixture.FlatMemory{Base: base, B: b}, halves{base, base + uint64(len(b)/2), end}, frames)
		if ok && (!utf8.ValidString(p.Location.File) || p.Location.Line <= 0 || p.Location.Column <= 0) {
			t.Fatalf("invalid location %+v", p.Location)
		}
	})
}
