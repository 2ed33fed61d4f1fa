// Package inflate decodes zlib (RFC 1950) and raw DEFLATE (RFC 1951)
// streams held whole in memory, as the compressed DWARF of a separate debug
// file is: the mapped file holds the stream, and the inflated size is known
// from the section's header.
//
// It exists for speed. Inflating glibc's .debug_info (libc6-dbg: 2.3 MB
// stored, 5.8 MB inflated) was most of a first analysis of a rustc core;
// the standard library's decoder and klauspost's read the stream a byte at
// a time through an io.ByteReader and took 87 and 67 ms on it
// (BenchmarkLibcDebugInfoStd and a klauspost run of the same benchmark),
// this one 33–35 ms. It decodes as libdeflate does: the input is a byte
// slice, so the bit buffer is refilled eight bytes at a time without a
// branch per byte; a literal/length code is one lookup in an 11-bit table
// (two past it), two literals in a row need no refill between them, a
// distance is one lookup in an 8-bit table; and the output goes to a
// buffer holding the last window, so a match is a copy (eight bytes at a
// time) within it.
//
// What it accepts is what zlib accepts: complete Huffman codes only, but
// for the one-code-of-length-one code zlib writes; no distance before the
// start of the output; a block must have an end-of-block code. The fuzz
// test holds it to compress/flate's output byte for byte on every stream
// compress/flate decodes whole, and to an error wherever compress/flate
// gives one.
package inflate

import (
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"sync"
)

// Errors. Every malformed stream gives ErrCorrupt or io.ErrUnexpectedEOF
// (wrapped in neither), never a panic.
var (
	ErrCorrupt  = errors.New("inflate: corrupt DEFLATE stream")
	ErrHeader   = errors.New("inflate: invalid zlib header")
	ErrChecksum = errors.New("inflate: zlib checksum mismatch")
)

const (
	windowSize = 1 << 15 // the furthest a match reaches back
	// chunk is how much is decoded past the window before the output
	// is handed on: the buffer is the window and the chunk.
	chunk = 1 << 18
	// maxMatch is the longest match, 258 bytes: the decoding loop stops
	// when fewer are free.
	maxMatch = 258
	// bufSize is the window and the chunk; the buffer has slack past
	// it for a match's last eight-byte store.
	bufSize = windowSize + chunk
	slack   = 8

	litBits  = 11 // the literal/length table's first level
	distBits = 8  // the distance table's first level
	// The tables' sizes: the first level and every second-level table,
	// at most 2,342 and 402 entries (libdeflate's ENOUGH for these
	// levels), rounded up to a power of two so an index masked to the
	// size needs no bounds check.
	litTableSize  = 4096
	distTableSize = 512
	clenTableSize = 128 // the code length code: 7 bits, one level
)

// A table entry. Bits 0-3: the bits the code takes (in a first-level
// entry pointing at a second-level table: that table's index bits); bits
// 4-7: the extra bits after the code; bit 8: a literal; bit 9: end of
// block; bit 10: a pointer to a second-level table; bit 11: no code;
// bits 16-31: the literal, the length or distance base, the second-level
// table's start, or the code length symbol.
const (
	entLiteral = 1 << 8
	entEnd     = 1 << 9
	entSub     = 1 << 10
	entInvalid = 1 << 11
)

// Bases and extra bits of the length symbols 257-285 and distance symbols
// 0-29 (RFC 1951 §3.2.5).
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// clenOrder is the order of the code length code's lengths.
	clenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// The block the decoder stands in.
const (
	stateHeader  = iota // before a block's header
	stateStored         // inside a stored block: stored bytes left
	stateHuffman        // inside a Huffman-coded block
	stateDone           // after the final block
)

// Reader inflates one stream. It is an io.Reader; a Read returns the bytes
// inflated so far and decodes more when none are left.
type Reader struct {
	in    []byte
	pos   int    // the next byte of in to load into bits
	bits  uint64 // loaded bits, the next at bit 0
	nbits uint

	// out is the window and the chunk; out[rd:w] are decoded bytes not
	// yet read.
	out   []byte
	rd, w int

	state  int
	final  bool
	stored int // bytes left in a stored block

	zlib     bool
	checksum bool
	adler    uint32
	summed   int // out[:summed] are in adler
	err      error

	lit  [litTableSize]uint32
	dist [distTableSize]uint32
}

// NewReader starts a raw DEFLATE stream.
func NewReader(stream []byte) *Reader {
	return &Reader{in: stream, out: make([]byte, bufSize+slack)}
}

// NewZlibReader starts a zlib stream; the two-byte header is checked
// here. With checksum, the output is summed as it goes and the Adler-32
// trailer checked when the stream's end is read (a tenth of the time);
// without, the trailer is only read. A reader that stops at a size it knows
// never reaches the trailer.
func NewZlibReader(stream []byte, checksum bool) (*Reader, error) {
	if len(stream) < 2 {
		return nil, io.ErrUnexpectedEOF
	}
	cmf, flg := stream[0], stream[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 || flg&0x20 != 0 {
		return nil, ErrHeader
	}
	r := NewReader(stream[2:])
	r.zlib, r.checksum, r.adler = true, checksum, 1
	return r, nil
}

// Read copies inflated bytes into p.
func (r *Reader) Read(p []byte) (int, error) {
	for r.rd == r.w {
		if r.err != nil {
			return 0, r.err
		}
		if r.state == stateDone {
			r.err = r.finish()
			continue
		}
		if r.w > bufSize-maxMatch {
			r.slide()
		}
		r.err = r.decode()
	}
	n := copy(p, r.out[r.rd:r.w])
	r.rd += n
	return n, nil
}

// slide keeps the last window of output at the buffer's start.
func (r *Reader) slide() {
	r.sum()
	n := copy(r.out, r.out[r.w-windowSize:r.w])
	r.rd, r.w, r.summed = n, n, n
}

// sum adds the output not yet summed to the Adler-32 checksum.
func (r *Reader) sum() {
	if r.checksum && r.summed < r.w {
		r.adler = adler32Update(r.adler, r.out[r.summed:r.w])
		r.summed = r.w
	}
}

// adler32Update continues the Adler-32 sum a over b (RFC 1950 §9): sums
// modulo 65521, reduced every 5,552 bytes, the most that cannot overflow
// 32 bits.
func adler32Update(a uint32, b []byte) uint32 {
	const mod, nmax = 65521, 5552
	s1, s2 := a&0xffff, a>>16
	for len(b) > 0 {
		p := b[:min(len(b), nmax)]
		b = b[len(p):]
		for len(p) >= 4 {
			s1 += uint32(p[0])
			s2 += s1
			s1 += uint32(p[1])
			s2 += s1
			s1 += uint32(p[2])
			s2 += s1
			s1 += uint32(p[3])
			s2 += s1
			p = p[4:]
		}
		for _, c := range p {
			s1 += uint32(c)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return s2<<16 | s1
}

// finish checks a zlib stream's trailer once the final block is read.
func (r *Reader) finish() error {
	if !r.zlib {
		return io.EOF
	}
	r.sum()
	// The trailer starts at the next byte boundary; whole bytes still in
	// the bit buffer are the trailer's.
	r.bits >>= r.nbits & 7
	r.nbits -= r.nbits & 7
	var t [4]byte
	for i := range t {
		switch {
		case r.nbits >= 8:
			t[i] = byte(r.bits)
			r.bits >>= 8
			r.nbits -= 8
		case r.pos < len(r.in):
			t[i] = r.in[r.pos]
			r.pos++
		default:
			return io.ErrUnexpectedEOF
		}
	}
	if r.checksum && binary.BigEndian.Uint32(t[:]) != r.adler {
		return ErrChecksum
	}
	return io.EOF
}

// need loads bits until at least n are held; past the input's end it
// reports io.ErrUnexpectedEOF.
func (r *Reader) need(n uint) error {
	for r.nbits < n {
		if r.pos >= len(r.in) {
			return io.ErrUnexpectedEOF
		}
		r.bits |= uint64(r.in[r.pos]) << r.nbits
		r.pos++
		r.nbits += 8
	}
	return nil
}

// take returns the next n bits (n ≤ 32).
func (r *Reader) take(n uint) (uint32, error) {
	if err := r.need(n); err != nil {
		return 0, err
	}
	v := uint32(r.bits & (1<<n - 1))
	r.bits >>= n
	r.nbits -= n
	return v, nil
}

// decode decodes until the buffer is nearly full, a block ends, or the
// stream does; it returns with some output or an error.
func (r *Reader) decode() error {
	start := r.w
	for r.w == start {
		switch r.state {
		case stateDone:
			return nil
		case stateHeader:
			if r.final {
				r.state = stateDone
				return nil
			}
			if err := r.header(); err != nil {
				return err
			}
		case stateStored:
			if err := r.copyStored(); err != nil {
				return err
			}
		case stateHuffman:
			if err := r.huffman(); err != nil {
				return err
			}
		}
		if r.w > bufSize-maxMatch {
			return nil
		}
	}
	return nil
}

// header reads a block's header and, for a Huffman block, builds its
// tables.
func (r *Reader) header() error {
	h, err := r.take(3)
	if err != nil {
		return err
	}
	r.final = h&1 != 0
	switch h >> 1 {
	case 0:
		r.bits >>= r.nbits & 7
		r.nbits -= r.nbits & 7
		v, err := r.take(32)
		if err != nil {
			return err
		}
		if uint16(v) != ^uint16(v>>16) {
			return ErrCorrupt
		}
		r.stored, r.state = int(uint16(v)), stateStored
		// What stays in the bit buffer is whole bytes of the block:
		// give them back to the input.
		r.pos -= int(r.nbits / 8)
		r.bits, r.nbits = 0, 0
	case 1:
		fixedTables.Do(buildFixed)
		r.lit, r.dist = fixedLit, fixedDist
		r.state = stateHuffman
	case 2:
		if err := r.dynamic(); err != nil {
			return err
		}
		r.state = stateHuffman
	default:
		return ErrCorrupt
	}
	return nil
}

// copyStored copies what fits of a stored block.
func (r *Reader) copyStored() error {
	if r.stored == 0 {
		r.state = stateHeader
		return nil
	}
	n := min(r.stored, bufSize-r.w, len(r.in)-r.pos)
	if n == 0 {
		return io.ErrUnexpectedEOF
	}
	copy(r.out[r.w:], r.in[r.pos:r.pos+n])
	r.w += n
	r.pos += n
	r.stored -= n
	return nil
}

// dynamic reads a dynamic block's code lengths (RFC 1951 §3.2.7) and
// builds its tables.
func (r *Reader) dynamic() error {
	v, err := r.take(14)
	if err != nil {
		return err
	}
	nlit, ndist, nclen := int(v&31)+257, int(v>>5&31)+1, int(v>>10)+4
	if nlit > 286 || ndist > 30 {
		return ErrCorrupt
	}
	var clen [19]uint8
	for i := 0; i < nclen; i++ {
		l, err := r.take(3)
		if err != nil {
			return err
		}
		clen[clenOrder[i]] = uint8(l)
	}
	var ctab [clenTableSize]uint32
	if !build(ctab[:], clen[:], 7, nil, nil, 0) {
		return ErrCorrupt
	}
	var lens [286 + 30]uint8
	for i := 0; i < nlit+ndist; {
		if err := r.need(7); err != nil {
			// The last code may be shorter than 7 bits.
			if r.nbits == 0 {
				return err
			}
		}
		e := ctab[r.bits&(clenTableSize-1)]
		n := uint(e & 15)
		if e&entInvalid != 0 || n > r.nbits {
			if e&entInvalid != 0 {
				return ErrCorrupt
			}
			return io.ErrUnexpectedEOF
		}
		r.bits >>= n
		r.nbits -= n
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep uint32
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return ErrCorrupt
			}
			val = lens[i-1]
			x, err := r.take(2)
			if err != nil {
				return err
			}
			rep = 3 + x
		case 17:
			x, err := r.take(3)
			if err != nil {
				return err
			}
			rep = 3 + x
		default:
			x, err := r.take(7)
			if err != nil {
				return err
			}
			rep = 11 + x
		}
		if i+int(rep) > nlit+ndist {
			return ErrCorrupt
		}
		for ; rep > 0; rep-- {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 {
		return ErrCorrupt
	}
	if !build(r.lit[:], lens[:nlit], litBits, lengthBase[:], lengthExtra[:], 257) ||
		!build(r.dist[:], lens[nlit:nlit+ndist], distBits, distBase[:], distExtra[:], 0) {
		return ErrCorrupt
	}
	return nil
}

// build fills a decoding table for the code lengths lens: first-level
// entries for primary bits, second-level tables after them. For the
// literal/length code (base of 257), symbols below 256 are literals, 256
// ends the block, and symbol s ≥ 257 has base[s-257] and extra[s-257]; for
// the distance code (base 0) symbol s has base[s], extra[s]; for the code
// length code (base nil) the entry holds the symbol. Symbols past the bases
// (286, 287, and distances 30, 31 of the fixed code) are entries without a
// code. It reports false for an over-subscribed or incomplete code, as
// compress/flate does, but for the single code of length 1; an empty code
// gives a table of entries without a code.
func build(tab []uint32, lens []uint8, primary uint, base []uint16, extra []uint8, first int) bool {
	var count [16]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	maxLen := 0
	for l := 15; l > 0; l-- {
		if count[l] != 0 {
			maxLen = l
			break
		}
	}
	if maxLen == 0 {
		for i := range 1 << primary {
			tab[i] = entInvalid
		}
		return true
	}
	// Canonical codes (RFC 1951 §3.2.2), and the completeness check: a
	// complete code fills every entry of the tables below, so only the
	// one incomplete code allowed needs its entries cleared.
	var next [16]int
	code := 0
	for l := 1; l <= 15; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	left := 1
	for l := 1; l <= 15; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return false
		}
	}
	if left != 0 {
		if maxLen != 1 || count[1] != 1 {
			return false
		}
		for i := range 1 << primary {
			tab[i] = entInvalid
		}
	}
	// The symbols in canonical order: by length, then value.
	var offs [16]int
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted [288]uint16
	for s, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	nsyms := offs[15]
	// Second-level tables go after the first level, one per first-level
	// prefix whose codes are longer than primary bits. Symbols are placed
	// in canonical order (by length, then value), so the codes under one
	// prefix come together, and a table's depth is found as zlib's
	// inflate_table finds it: from the codes not yet placed.
	remaining := count
	subNext, size := 1<<primary, len(tab)
	curPrefix, start, depth := uint32(1<<31), 0, uint(0)
	for _, s16 := range sorted[:nsyms] {
		s := int(s16)
		l := int(lens[s])
		rev := reverse(uint32(next[l]), uint(l))
		next[l]++
		var ent uint32
		switch {
		case base == nil:
			ent = uint32(s) << 16
		case first == 257 && s < 256:
			ent = uint32(s)<<16 | entLiteral
		case first == 257 && s == 256:
			ent = entEnd
		case s-first >= len(base):
			ent = entInvalid
		default:
			ent = uint32(base[s-first])<<16 | uint32(extra[s-first])<<4
		}
		if uint(l) <= primary {
			for i := rev; i < 1<<primary; i += 1 << uint(l) {
				tab[i] = ent | uint32(l)
			}
			remaining[l]--
			continue
		}
		if prefix := rev & (1<<primary - 1); prefix != curPrefix {
			depth = uint(l) - primary
			left := 1 << depth
			for int(depth+primary) < maxLen {
				left -= remaining[depth+primary]
				if left <= 0 {
					break
				}
				depth++
				left <<= 1
			}
			if subNext+1<<depth > size {
				return false
			}
			start, curPrefix = subNext, prefix
			tab[prefix] = uint32(start)<<16 | entSub | uint32(depth)
			subNext += 1 << depth
		}
		for i := int(rev >> primary); i < 1<<depth; i += 1 << (uint(l) - primary) {
			tab[start+i] = ent | uint32(l-int(primary))
		}
		remaining[l]--
	}
	return true
}

// reverse reverses the low n bits of c: codes are stored most significant
// bit first, the stream is read least significant first.
func reverse(c uint32, n uint) uint32 {
	return uint32(bits.Reverse16(uint16(c))) >> (16 - n)
}

// The fixed Huffman codes (RFC 1951 §3.2.6), built on first use.
var (
	fixedTables sync.Once
	fixedLit    [litTableSize]uint32
	fixedDist   [distTableSize]uint32
)

func buildFixed() {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	build(fixedLit[:], lens[:], litBits, lengthBase[:], lengthExtra[:], 257)
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	build(fixedDist[:], dl[:], distBits, distBase[:], distExtra[:], 0)
}

// huffman decodes a Huffman block's symbols until it ends or the buffer
// has less than a match free.
func (r *Reader) huffman() error {
	in, out := r.in, r.out
	bits, nbits, pos, w := r.bits, r.nbits, r.pos, r.w
	lit, dist := &r.lit, &r.dist
	limit := bufSize - maxMatch
	var err error
	for w <= limit {
		// The next code's first-level entry, looked up before the
		// refill when the bits held cover it (almost always: a match
		// takes at most 48 of the 56): the lookup does not wait for
		// the load of the refill.
		e := lit[bits&(1<<litBits-1)]
		short := nbits < litBits
		// At least 56 bits: a literal/length code, its extra bits, a
		// distance code and its extra bits take at most 48.
		if pos+8 <= len(in) {
			// The bytes not wholly loaded are loaded again next
			// time, at the same place: or-ing them twice is harmless.
			bits |= binary.LittleEndian.Uint64(in[pos:]) << nbits
			pos += int(63-nbits) >> 3
			nbits |= 56
		} else {
			// Near the end, byte by byte, zeros past it; pos past
			// len(in) counts the zeros, and a code that used them
			// is a stream cut short.
			for nbits <= 56 {
				if pos < len(in) {
					bits |= uint64(in[pos]) << nbits
				}
				pos++
				nbits += 8
			}
		}
		if short {
			e = lit[bits&(1<<litBits-1)]
		}
		if e&entSub != 0 {
			bits >>= litBits
			nbits -= litBits
			e = lit[(int(e>>16)+int(bits&(1<<(e&15)-1)))&(litTableSize-1)]
		}
		n := uint(e & 15)
		bits >>= n
		nbits -= n
		if pos > len(in) && uint(pos-len(in))*8 > nbits {
			err = io.ErrUnexpectedEOF
			break
		}
		if e&entLiteral != 0 {
			// Literals come in runs: a second fits in the bits held
			// (41 left, a code takes at most 15). A match after the
			// literal does not: its codes and extra bits take up to
			// 48, so it is decoded again after a refill.
			out[w] = byte(e >> 16)
			w++
			e = lit[bits&(1<<litBits-1)]
			n = 0
			if e&entSub != 0 {
				e = lit[(int(e>>16)+int(bits>>litBits&(1<<(e&15)-1)))&(litTableSize-1)]
				n = litBits
			}
			if e&entLiteral == 0 {
				continue
			}
			n += uint(e & 15)
			bits >>= n
			nbits -= n
			if pos > len(in) && uint(pos-len(in))*8 > nbits {
				err = io.ErrUnexpectedEOF
				break
			}
			out[w] = byte(e >> 16)
			w++
			continue
		}
		if e&(entEnd|entInvalid) != 0 {
			if e&entInvalid != 0 {
				err = ErrCorrupt
				break
			}
			r.state = stateHeader
			break
		}
		x := uint(e >> 4 & 15)
		length := int(e>>16) + int(bits&(1<<x-1))
		bits >>= x
		nbits -= x
		d := dist[bits&(1<<distBits-1)]
		if d&entSub != 0 {
			bits >>= distBits
			nbits -= distBits
			d = dist[(int(d>>16)+int(bits&(1<<(d&15)-1)))&(distTableSize-1)]
		}
		n = uint(d & 15)
		bits >>= n
		nbits -= n
		x = uint(d >> 4 & 15)
		dd := int(d>>16) + int(bits&(1<<x-1))
		bits >>= x
		nbits -= x
		if pos > len(in) && uint(pos-len(in))*8 > nbits {
			err = io.ErrUnexpectedEOF
			break
		}
		// w counts the bytes before it in the buffer; the window slid
		// only once a whole window had been output.
		if d&entInvalid != 0 || dd > w {
			err = ErrCorrupt
			break
		}
		src, end := w-dd, w+length
		if dd >= 8 {
			// Eight bytes at a time, each read from bytes already
			// written. The first 32 are stored whatever the length
			// (most matches are shorter: no loop to mispredict); the
			// stores may pass end by up to 31 bytes, below bufSize
			// since w <= limit.
			o := out[w : w+32 : w+32]
			i := out[src : src+32 : src+32]
			binary.LittleEndian.PutUint64(o, binary.LittleEndian.Uint64(i))
			binary.LittleEndian.PutUint64(o[8:], binary.LittleEndian.Uint64(i[8:]))
			binary.LittleEndian.PutUint64(o[16:], binary.LittleEndian.Uint64(i[16:]))
			binary.LittleEndian.PutUint64(o[24:], binary.LittleEndian.Uint64(i[24:]))
			for w, src = w+32, src+32; w < end; w, src = w+8, src+8 {
				binary.LittleEndian.PutUint64(out[w:], binary.LittleEndian.Uint64(out[src:]))
			}
			w = end
			continue
		}
		if dd == 1 {
			// A run of one byte: eight at a time, up to 7 past end.
			v := uint64(out[src]) * 0x0101010101010101
			for ; w < end; w += 8 {
				binary.LittleEndian.PutUint64(out[w:], v)
			}
			w = end
			continue
		}
		// An overlapping match repeats its dd bytes: each copy doubles
		// what can be copied from.
		for w < end {
			w += copy(out[w:end], out[src:w])
		}
	}
	if pos > len(in) {
		// Give back the zeros: they are above the bits held.
		over := uint(pos - len(in))
		if err == nil && over*8 > nbits {
			err = io.ErrUnexpectedEOF
		}
		nbits -= min(nbits, over*8)
		pos = len(in)
	}
	r.bits, r.nbits, r.pos, r.w = bits, nbits, pos, w
	return err
}
