package inflate

import (
	"bytes"
	"compress/flate"
	"io"
	"testing"
)

// bitWriter writes a DEFLATE bit stream: fields least significant bit
// first, Huffman codes most significant bit first.
type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (b *bitWriter) bits(v uint64, n uint) {
	b.acc |= v << b.nbits
	b.nbits += n
	for b.nbits >= 8 {
		b.out = append(b.out, byte(b.acc))
		b.acc >>= 8
		b.nbits -= 8
	}
}

func (b *bitWriter) code(c uint32, n uint) { b.bits(uint64(reverse(c, n)), n) }

func (b *bitWriter) flush() []byte {
	if b.nbits > 0 {
		b.out = append(b.out, byte(b.acc))
	}
	return b.out
}

// canonical gives the canonical codes of lens (RFC 1951 §3.2.2).
func canonical(lens []uint8) []uint32 {
	var count, next [16]uint32
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	code := uint32(0)
	for l := 1; l <= 15; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	codes := make([]uint32, len(lens))
	for s, l := range lens {
		if l != 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

// dynamicHeader writes a final dynamic block's header for lit (286) and
// dist (30) code lengths, each length sent with a 4-bit code length code.
func dynamicHeader(b *bitWriter, lit, dist []uint8) {
	b.bits(1, 1) // final
	b.bits(2, 2) // dynamic
	b.bits(uint64(len(lit)-257), 5)
	b.bits(uint64(len(dist)-1), 5)
	b.bits(19-4, 4)
	for _, s := range clenOrder {
		if s < 16 {
			b.bits(4, 3)
		} else {
			b.bits(0, 3)
		}
	}
	for _, l := range append(append([]uint8{}, lit...), dist...) {
		b.code(uint32(l), 4)
	}
}

// TestLiteralThenLongestMatch decodes a literal and a match of the most
// bits there are after it: a 15-bit literal, a 15-bit length code with 5
// extra bits, a 15-bit distance code with 13 extra bits, 63 bits with no
// refill between them if the match is decoded in the literal run. Every
// alignment of the literal against the bit buffer's refills is tried.
func TestLiteralThenLongestMatch(t *testing.T) {
	lit := make([]uint8, 286)
	lit[256] = 1
	lit['a'] = 2
	for i := 0; i < 12; i++ {
		lit['b'+i] = uint8(3 + i)
	}
	lit['A'] = 15
	lit[284] = 15
	dist := make([]uint8, 30)
	dist[0] = 1
	for i := 1; i <= 13; i++ {
		dist[i] = uint8(i + 1)
	}
	dist[28], dist[29] = 15, 15
	lc, dc := canonical(lit), canonical(dist)
	for pad := 0; pad < 70; pad++ {
		var b bitWriter
		dynamicHeader(&b, lit, dist)
		for i := 0; i < 32768+pad/2; i++ {
			b.code(lc['a'], 2)
		}
		if pad%2 == 1 {
			b.code(lc['b'], 3)
		}
		b.code(lc['A'], 15)
		b.code(lc[284], 15)
		b.bits(31, 5) // length 227+31 = 258
		b.code(dc[29], 15)
		b.bits(8191, 13) // distance 24577+8191 = 32768
		for i := 0; i < 40; i++ {
			c := 'b' + i%12
			b.code(lc[c], uint(lit[c]))
		}
		b.code(lc[256], 1)
		stream := b.flush()
		want, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
		if err != nil {
			t.Fatalf("pad %d: compress/flate: %v", pad, err)
		}
		got, err := readAll(NewReader(stream))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("pad %d: got %d bytes, %v; want %d bytes (equal %v)", pad, len(got), err, len(want), bytes.Equal(got, want))
		}
	}
}
