package inflate

import (
	"bytes"
	"compress/flate"
	"io"
	"math/rand"
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
	for pad := 0; pad < 70; pad++ {
		stream := longestMatchStream(pad)
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

// longestMatchStream is a dynamic block of 15-bit codes: a 2-bit literal
// 32768 times and pad/2 more (a 3-bit one for an odd pad), a 15-bit
// literal, a match of 258 bytes at 32768 (15-bit length code with 5 extra
// bits, 15-bit distance code with 13), literals of 3 to 14 bits, and the
// block's end.
func longestMatchStream(pad int) []byte {
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
	return b.flush()
}

// TestWindowDistance: matches at exactly the window's distance (32768), over
// many slides of the buffer, in every compress/flate level, the stream cut
// at every 9973rd byte and at each of the last 64 (where the bit buffer
// is refilled a byte at a time) giving an error and what compress/flate
// gives before it.
func TestWindowDistance(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	period := make([]byte, 32768)
	rng.Read(period)
	var data []byte
	for len(data) < 3*bufSize {
		data = append(data, period...)
		data = append(data, byte(len(data))) // a literal between runs: not one long match
		data = append(data, period[:32767]...)
	}
	for _, level := range []int{flate.BestSpeed, flate.DefaultCompression, flate.BestCompression, flate.HuffmanOnly} {
		var b bytes.Buffer
		w, _ := flate.NewWriter(&b, level)
		w.Write(data)
		w.Close()
		stream := b.Bytes()
		got, err := readAll(NewReader(stream))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("level %d: %d bytes, %v; want %d", level, len(got), err, len(data))
		}
		var cuts []int
		for cut := 0; cut < len(stream); cut += 9973 {
			cuts = append(cuts, cut)
		}
		for cut := max(0, len(stream)-64); cut < len(stream); cut++ {
			cuts = append(cuts, cut)
		}
		for _, cut := range cuts {
			want, _ := io.ReadAll(flate.NewReader(bytes.NewReader(stream[:cut])))
			got, err := readAll(NewReader(stream[:cut]))
			if err == nil || !bytes.HasPrefix(got, want) && !bytes.HasPrefix(want, got) {
				t.Fatalf("level %d cut at %d: %d bytes, %v; compress/flate %d", level, cut, len(got), err, len(want))
			}
		}
	}
}

// TestBadCodes: an over-subscribed, an incomplete, and a one-code literal/
// length code, as compress/flate judges them.
func TestBadCodes(t *testing.T) {
	full := func() []uint8 {
		lit := make([]uint8, 286)
		lit[256] = 1
		lit['a'] = 2
		for i := 0; i < 12; i++ {
			lit['b'+i] = uint8(3 + i)
		}
		lit['A'], lit[284] = 15, 15
		return lit
	}
	dist := make([]uint8, 30)
	dist[0], dist[1] = 1, 1
	over, incomplete, one := full(), full(), make([]uint8, 286)
	over['B'] = 15
	incomplete['A'] = 0
	one[256] = 1
	for name, lit := range map[string][]uint8{"over-subscribed": over, "incomplete": incomplete, "one code": one} {
		var b bitWriter
		dynamicHeader(&b, lit, dist)
		lc := canonical(lit)
		b.code(lc[256], uint(lit[256]))
		stream := b.flush()
		_, want := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
		_, got := readAll(NewReader(stream))
		if (got == nil) != (want == nil) {
			t.Errorf("%s: %v, compress/flate %v", name, got, want)
		}
	}
}

// TestStoredAfterHuffman: compress/flate's Flush ends a Huffman block and
// writes an empty stored block; random data between gives stored blocks
// with bytes after a Huffman block's end still in the bit buffer, at every
// bit alignment the pieces' lengths give.
func TestStoredAfterHuffman(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	var data []byte
	for i := 0; i < 300; i++ {
		piece := make([]byte, 1+rng.Intn(100))
		if i%7 == 0 {
			piece = make([]byte, 2000+rng.Intn(3000))
			rng.Read(piece) // stored
		} else {
			for j := range piece {
				piece[j] = "abcab"[rng.Intn(5)]
			}
		}
		data = append(data, piece...)
		w.Write(piece)
		w.Flush()
	}
	w.Close()
	got, err := readAll(NewReader(b.Bytes()))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%d bytes, %v; want %d", len(got), err, len(data))
	}
}
