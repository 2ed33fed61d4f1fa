package inputs

import (
	"encoding/binary"
	"reflect"
	"slices"
	"sort"
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

// findPlain is Find as it was before its holders came in batches and its
// answers were remembered (3395e6b): every holder looked up afresh, every
// holder of a buffer kept. FuzzFindPlain holds Find to it.
func findPlain(mem Memory, regions []Region, holders []Holder, files []File) []Input {
	rs := append([]Region(nil), regions...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	type plain struct {
		b       *buffer
		holders []Holder
		frames  map[int]bool
	}
	var bufs []*plain
	rejected := map[uint64]bool{}
	scratch := make([]byte, 4096)
	for _, h := range holders {
		i := sort.Search(len(rs), func(i int) bool { return rs[i].End > h.Value })
		if i == len(rs) || rs[i].Start > h.Value {
			continue
		}
		r := &rs[i]
		if r.Exclude[1] > r.Exclude[0] && h.Value >= r.Exclude[0] && h.Value < r.Exclude[1] {
			continue
		}
		var in *plain
		for _, p := range bufs {
			if h.Value >= p.b.start && h.Value <= p.b.textEnd {
				in = p
				break
			}
		}
		if in == nil {
			if rejected[h.Value] || len(bufs) == maxCandidates {
				continue
			}
			b := findBuffer(mem, r, h.Value, scratch)
			if b == nil {
				rejected[h.Value] = true
				continue
			}
			in = &plain{b: b, frames: map[int]bool{}}
			bufs = append(bufs, in)
		}
		in.holders = append(in.holders, h)
		in.frames[h.Frame] = true
	}
	sort.SliceStable(bufs, func(i, j int) bool {
		if len(bufs[i].frames) != len(bufs[j].frames) {
			return len(bufs[i].frames) > len(bufs[j].frames)
		}
		return bufs[i].b.textEnd-bufs[i].b.start > bufs[j].b.textEnd-bufs[j].b.start
	})
	var out []Input
	for _, p := range bufs {
		if len(out) == MaxInputs {
			break
		}
		b := p.b
		best, inner := p.holders[0], false
		for _, h := range p.holders {
			in := h.Value > b.start && h.Value < b.textEnd
			if in && !inner || in == inner && h.Frame < best.Frame {
				best, inner = h, in
				if in && h.Frame == p.holders[0].Frame {
					break
				}
			}
		}
		// The buffer answers as the plain search did: that holder, that
		// many frames.
		b.first, b.haveIn, b.frames = best, false, nil
		for f := range p.frames {
			b.frames = append(b.frames, f)
		}
		slices.Sort(b.frames)
		out = append(out, b.input(mem, files))
	}
	return out
}

// FuzzFindPlain compares Find with findPlain on hostile memory cut into
// regions of every source (a mapped file's buffer starts at the file's
// first byte, below the text), its words the holders of frames that grow
// outward as the walk yields them.
func FuzzFindPlain(f *testing.F) {
	text := []byte("fn main() { let _ = ((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))); }\n")
	seed := make([]byte, 16, 512)
	binary.LittleEndian.PutUint64(seed[8:], 0x41|1)
	seed = append(seed, text...)
	seed = append(seed, 0xe9, 0, 0, 0, 0, 0, 0, 0)
	seed = append(seed, text...)
	f.Add(seed, uint8(3), uint16(200))
	f.Add([]byte{}, uint8(0), uint16(0))
	f.Fuzz(func(t *testing.T, b []byte, srcs uint8, cut uint16) {
		const base = 0x10000
		mem := testfixture.FlatMemory{Base: base, B: b}
		sources := []Source{SourceHeap, SourceAnon, SourceStack, SourceFile}
		// Two regions, [0, cut) and [cut, len), with a gap of 16 bytes
		// between when cut leaves room: values fall in either or between.
		k := min(int(cut), len(b))
		rs := []Region{{Start: base, End: base + uint64(k), Source: sources[srcs&3], FileSize: -1}}
		if k+16 < len(b) {
			rs = append(rs, Region{Start: base + uint64(k+16), End: base + uint64(len(b)), Source: sources[srcs>>2&3], FileOff: uint64(k), FileSize: -1})
		}
		// cut 0 leaves the first region empty: no value is in it.
		var held []Held
		var holders []Holder
		for i := 0; i+8 <= len(b) && len(holders) < 256; i += 8 {
			frame := i / 48
			w := binary.LittleEndian.Uint64(b[i:])
			// A word, an address inside the memory and one a word names
			// relative to the base: pointers of every kind.
			for _, h := range []Holder{{Value: base + uint64(i), Frame: frame, Where: "rdi"},
				{Value: w, Frame: frame, Where: "stack slot"}, {Value: base + w%uint64(len(b)+1), Frame: frame, Where: "stack slot"}} {
				holders = append(holders, h)
				held = append(held, Held{Frame: h.Frame, Where: h.Where, Values: []uint64{h.Value}})
			}
		}
		got := Find(mem, rs, slices.Values(held), nil)
		want := findPlain(mem, rs, holders, nil)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Find differs from the plain search:\ngot  %+v\nwant %+v", got, want)
		}
	})
}
