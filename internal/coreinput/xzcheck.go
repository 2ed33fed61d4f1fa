package coreinput

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// maxXZDict caps the LZMA2 dictionary an xz stream may need: what its
// largest block decodes to, or the block's declared dictionary if that is
// smaller (checkXZ). xz.ReaderConfig.DictCap is a minimum, not a cap. xz
// -9 uses 64 MiB; crash collectors use the defaults.
const maxXZDict = 256 << 20

// sniffDict is the dictionary used to decode the first bytes of an xz
// core when sniffing: LZMA matches in the first 64 bytes of output reach at
// most 64 bytes back, so the declared size is not needed.
const sniffDict = 64 << 10

// xzBlock is what checkXZ needs of an xz block header (xz file format
// 1.2.0, section 3.1): the LZMA2 dictionary size of its last filter and,
// when the header records it, the compressed size.
type xzBlock struct {
	dict       int64
	compressed int64 // -1 when not recorded
	headerLen  int64
	// raw is the whole header, its size byte to its CRC32, and props the
	// index in it of the LZMA2 filter's dictionary byte.
	raw   []byte
	props int
}

var errXZIndex = errors.New("xz: index")

// readXZBlockHeader reads one block header, or returns errXZIndex at the
// index indicator (a zero byte where a header would start).
func readXZBlockHeader(r *bufio.Reader) (xzBlock, error) {
	size, err := r.ReadByte()
	if err != nil {
		return xzBlock{}, err
	}
	if size == 0 {
		return xzBlock{}, errXZIndex
	}
	b := xzBlock{headerLen: (int64(size) + 1) * 4, compressed: -1}
	b.raw = make([]byte, b.headerLen)
	b.raw[0] = size
	if _, err := io.ReadFull(r, b.raw[1:]); err != nil {
		return b, err
	}
	h := b.raw[1 : len(b.raw)-4] // less the CRC32
	if len(h) < 1 {
		return b, errors.New("xz: block header too short")
	}
	flags := h[0]
	h = h[1:]
	varint := func() (uint64, error) {
		v, n := binary.Uvarint(h)
		if n <= 0 {
			return 0, errors.New("xz: bad integer in a block header")
		}
		h = h[n:]
		return v, nil
	}
	if flags&0x40 != 0 {
		v, err := varint()
		if err != nil {
			return b, err
		}
		b.compressed = int64(min(v, 1<<62))
	}
	if flags&0x80 != 0 {
		if _, err := varint(); err != nil {
			return b, err
		}
	}
	for i := 0; i <= int(flags&3); i++ {
		id, err := varint()
		if err != nil {
			return b, err
		}
		n, err := varint()
		if err != nil || n > uint64(len(h)) {
			return b, errors.New("xz: bad filter properties in a block header")
		}
		props := h[:n]
		propsAt := len(b.raw) - 4 - len(h)
		h = h[n:]
		last := i == int(flags&3)
		if last && (id != 0x21 || len(props) != 1) {
			return b, fmt.Errorf("xz: filter %#x is not LZMA2", id)
		}
		if last {
			d, err := lzma.DecodeDictCap(props[0])
			if err != nil {
				return b, fmt.Errorf("xz: %w", err)
			}
			b.dict, b.props = d, propsAt
		}
	}
	return b, nil
}

// readXZStreamHeader reads the 12-byte stream header and returns the size
// of the check each block ends with.
func readXZStreamHeader(r *bufio.Reader) (checkLen int64, err error) {
	var h [12]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	if string(h[:6]) != "\xfd7zXZ\x00" || h[6] != 0 {
		return 0, errors.New("xz: bad stream header")
	}
	switch h[7] & 0x0f {
	case 0x00:
		return 0, nil
	case 0x01:
		return 4, nil
	case 0x04:
		return 8, nil
	case 0x0a:
		return 32, nil
	}
	// Reserved check types are 4, 8, 16, 32 or 64 bytes by the
	// spec's table; the decoder refuses them anyway.
	return 0, fmt.Errorf("xz: unsupported check type %#x", h[7]&0x0f)
}

// checkXZ walks the first stream of an xz file, block header by block
// header, without decoding: LZMA2 chunks carry their packed and unpacked
// sizes in their headers, so each block's end, and what it decodes to, are
// found by skipping chunks. A stream cut short ends the walk without an
// error: the decoder then reports the cut, and every block it can reach
// has been walked. Only the first stream is walked; the decoder is set to
// read one stream.
//
// The decoder allocates the dictionary a block header declares (xz's
// --lzma2=dict=, up to 4 GiB in a 224-byte file), and no match reaches
// further back than the block's start: a block that declares more than
// it decodes to gets a header declaring less (xzPatch), still at least
// what it decodes to. checkXZ refuses a stream one of whose blocks needs
// a dictionary larger than maxDict even so.
func checkXZ(r io.Reader, maxDict int64) ([]xzPatch, error) {
	cr := &countReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	at := func() int64 { return cr.n - int64(br.Buffered()) }
	checkLen, err := readXZStreamHeader(br)
	if err != nil {
		return nil, cutOK(err)
	}
	var patches []xzPatch
	for {
		start := at()
		b, err := readXZBlockHeader(br)
		if err == errXZIndex {
			return patches, nil
		}
		if err != nil {
			return patches, cutOK(err)
		}
		n, unpacked, err := skipLZMA2(br)
		if code := lzma.EncodeDictCap(max(unpacked, minXZDict)); b.dict > unpacked && code < b.raw[b.props] {
			patches = append(patches, patchXZDict(start, b, code))
			b.dict, _ = lzma.DecodeDictCap(code)
		}
		if b.dict > maxDict {
			return patches, fmt.Errorf("xz: a block needs a %d MiB dictionary, more than the %d MiB allowed", b.dict>>20, maxDict>>20)
		}
		if err != nil {
			return patches, cutOK(err)
		}
		// Block padding to a multiple of four, then the check.
		pad := (4 - (b.headerLen+n)%4) % 4
		if _, err := br.Discard(int(pad + checkLen)); err != nil {
			return patches, cutOK(err)
		}
	}
}

// minXZDict is the smallest dictionary an LZMA2 header declares (code 0).
const minXZDict = 4 << 10

// An xzPatch replaces the bytes of a stream at Off with Data.
type xzPatch struct {
	Off  int64
	Data []byte
}

// patchXZDict is the header b, which starts at off, with the dictionary
// code code and the CRC32 that goes with it.
func patchXZDict(off int64, b xzBlock, code byte) xzPatch {
	h := bytes.Clone(b.raw)
	h[b.props] = code
	binary.LittleEndian.PutUint32(h[len(h)-4:], crc32.ChecksumIEEE(h[:len(h)-4]))
	return xzPatch{Off: off, Data: h}
}

// patchReader reads r with patches applied, in order of Off and not
// overlapping, as checkXZ returns them.
type patchReader struct {
	r       io.Reader
	off     int64
	patches []xzPatch
}

func (p *patchReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	for _, pt := range p.patches {
		lo, hi := max(pt.Off, p.off), min(pt.Off+int64(len(pt.Data)), p.off+int64(n))
		if lo < hi {
			copy(b[lo-p.off:hi-p.off], pt.Data[lo-pt.Off:])
		}
	}
	p.off += int64(n)
	for len(p.patches) > 0 && p.patches[0].Off+int64(len(p.patches[0].Data)) <= p.off {
		p.patches = p.patches[1:]
	}
	return n, err
}

// countReader counts the bytes read from r.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// skipLZMA2 skips an LZMA2 stream's chunks up to its end marker and
// returns the bytes skipped and the bytes the chunks decode to, as far as
// it read. Control bytes (from xz-embedded's xz_dec_lzma2.c): 0x00 end;
// 0x01 and 0x02 an uncompressed chunk with a 16-bit big-endian size minus
// one; 0x80-0xff an LZMA chunk whose low five bits and the next 16 are
// its unpacked size minus one, then a 16-bit packed size minus one and,
// from 0xc0 on, a properties byte.
func skipLZMA2(r *bufio.Reader) (n, unpacked int64, err error) {
	for {
		c, err := r.ReadByte()
		if err != nil {
			return n, unpacked, err
		}
		n++
		var skip, hdr int
		switch {
		case c == 0:
			return n, unpacked, nil
		case c == 1 || c == 2:
			hdr = 2
		case c >= 0x80:
			hdr = 4
			if c >= 0xc0 {
				hdr = 5
			}
		default:
			return n, unpacked, fmt.Errorf("xz: bad LZMA2 control byte %#x", c)
		}
		var h [5]byte
		if _, err := io.ReadFull(r, h[:hdr]); err != nil {
			return n, unpacked, err
		}
		n += int64(hdr)
		if hdr == 2 {
			skip = int(binary.BigEndian.Uint16(h[:])) + 1
			unpacked += int64(skip)
		} else {
			skip = int(binary.BigEndian.Uint16(h[2:])) + 1
			unpacked += int64(c&0x1f)<<16 + int64(binary.BigEndian.Uint16(h[:])) + 1
		}
		if _, err := r.Discard(skip); err != nil {
			return n, unpacked, err
		}
		n += int64(skip)
	}
}

// cutOK treats a stream that ends early as walked: what the decoder can
// reach of it has been checked.
func cutOK(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// sniffXZ decodes the first bytes of an xz stream with a small dictionary,
// whatever the stream declares: the stream and first block headers are
// read here and the block's LZMA2 data decoded directly.
func sniffXZ(r io.Reader, n int) ([]byte, error) {
	br := bufio.NewReader(r)
	if _, err := readXZStreamHeader(br); err != nil {
		return nil, err
	}
	if _, err := readXZBlockHeader(br); err != nil {
		return nil, err
	}
	d, err := lzma.Reader2Config{DictCap: sniffDict}.NewReader2(br)
	if err != nil {
		return nil, err
	}
	head := make([]byte, n)
	k, _ := io.ReadFull(d, head)
	return head[:k], nil
}
