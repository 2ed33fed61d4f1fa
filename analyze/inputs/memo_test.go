package inputs

import (
	"bytes"
	"slices"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestFindCountsRejectedValueLaterInsideABuffer pins what Find answers for
// a value that was no candidate of its own when first seen but lies inside
// a buffer found later from another value: every holder of it counts, as
// when each value was looked up afresh (a value's "no buffer" is not final
// while buffers are still being found).
func TestFindCountsRejectedValueLaterInsideABuffer(t *testing.T) {
	const base = 0x10000
	for _, tc := range []struct {
		name string
		mem  []byte
		src  Source
		v, w uint64 // v is rejected alone; w's buffer covers it
	}{
		{
			// A mapped file's buffer starts at the file's first byte:
			// a pointer into its binary header is inside it.
			name: "file header",
			mem:  append(make([]byte, 16), bytes.Repeat([]byte("let x = 1;\n"), 10)...),
			src:  SourceFile,
			v:    base + 4, w: base + 60,
		},
		{
			// Latin-1 text: a lone 0xe9 within 256 bytes of v makes
			// v's window invalid UTF-8; w's window, far from it, is
			// valid, and w's run of text covers v.
			name: "latin-1 byte near one pointer",
			mem: func() []byte {
				b := bytes.Repeat([]byte("abcdefghi\n"), 100)
				b[100] = 0xe9
				return b
			}(),
			src: SourceStack,
			v:   base + 110, w: base + 700,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := testfixture.FlatMemory{Base: base, B: tc.mem}
			rs := []Region{{Start: base, End: base + uint64(len(tc.mem)), Source: tc.src, FileSize: -1}}
			if findBuffer(mem, &rs[0], tc.v, make([]byte, 4096)) != nil {
				t.Fatalf("v %#x is a candidate of its own: the case tests nothing", tc.v)
			}
			held := []Held{
				{Frame: 0, Where: "rdi", Values: []uint64{tc.v}},
				{Frame: 1, Where: "rsi", Values: []uint64{tc.w}},
				{Frame: 2, Where: "stack slot", Values: []uint64{tc.v}},
			}
			got := Find(mem, rs, slices.Values(held), nil)
			if len(got) != 1 {
				t.Fatalf("found %d inputs, want 1: %+v", len(got), got)
			}
			// Frames 1 (w) and 2 (v, inside w's buffer) hold it.
			if got[0].Frames != 2 || got[0].Holder.Frame != 1 {
				t.Errorf("input held by %d frames, innermost #%d; want 2 frames, #1", got[0].Frames, got[0].Holder.Frame)
			}
		})
	}
}
