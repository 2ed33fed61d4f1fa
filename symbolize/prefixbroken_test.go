package symbolize

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"math/rand"
	"testing"
)

// TestPrefixSectionBrokenTail: a compressed section whose stream breaks
// 150 KiB in still gives the bytes before the break once an inflation ahead
// (prefetch, on another goroutine in want) has run into it: the reader of
// a line program or abbreviation table there must not lose it to a guess
// that went further than it needed.
func TestPrefixSectionBrokenTail(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	data := make([]byte, 150<<10)
	for i := range data {
		data[i] = "DW_AT_name\x00\x01"[rng.Intn(12)]
	}
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	w.Flush()
	stream := append(b.Bytes(), 0xff, 0xff, 0xff, 0xff) // a block of type 3
	// Bytes well before the break, and 10 KiB before it.
	for _, need := range []uint64{100 << 10, 140 << 10} {
		st := &sectionStream{name: ".debug_line", size: 200 << 10, stored: stream, typ: elf.COMPRESS_ZLIB}
		p := newPrefixSection(st)
		if err := p.prefetch(200 << 10); err == nil {
			t.Fatal("prefetch of a broken stream gave no error")
		}
		if err := p.ensure(need); err != nil {
			t.Fatalf("after the prefetch, %d bytes before the break: %v", need, err)
		}
		if !bytes.Equal(p.buf[:need], data[:need]) {
			t.Fatal("the bytes before the break differ")
		}
		if err := p.ensure(160 << 10); err == nil {
			t.Fatal("bytes past the break gave no error")
		}
	}
}
