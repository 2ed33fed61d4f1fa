package coreinput

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// maxXZDict caps the LZMA2 dictionary an xz stream may ask for. The
// decoder allocates what a block header declares (up to 4 GiB, from a
// 224-byte file), and xz.ReaderConfig.DictCap is a minimum, not a cap. xz
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
	h := make([]byte, b.headerLen-1)
	if _, err := io.ReadFull(r, h); err != nil {
		return b, err
	}
	h = h[:len(h)-4] // CRC32
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
			b.dict = d
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
// header, without decoding: LZMA2 chunks carry their packed sizes in
// their headers, so each block's end is found by skipping chunks. It
// refuses a stream one of whose blocks declares a dictionary larger than
// maxDict. A stream cut short ends the walk without an error: the decoder
// then reports the cut, and every block it can reach has been checked.
// Only the first stream is walked; the decoder is set to read one stream.
func checkXZ(r io.Reader, maxDict int64) error {
	br := bufio.NewReaderSize(r, 64<<10)
	checkLen, err := readXZStreamHeader(br)
	if err != nil {
		return cutOK(err)
	}
	for {
		b, err := readXZBlockHeader(br)
		if err == errXZIndex {
			return nil
		}
		if err != nil {
			return cutOK(err)
		}
		if b.dict > maxDict {
			return fmt.Errorf("xz: a block declares a %d MiB dictionary, more than the %d MiB allowed", b.dict>>20, maxDict>>20)
		}
		n := b.compressed
		if n < 0 {
			if n, err = skipLZMA2(br); err != nil {
				return cutOK(err)
			}
		} else if _, err := br.Discard(int(min(n, 1<<40))); err != nil {
			return cutOK(err)
		}
		// Block padding to a multiple of four, then the check.
		pad := (4 - (b.headerLen+n)%4) % 4
		if _, err := br.Discard(int(pad + checkLen)); err != nil {
			return cutOK(err)
		}
	}
}

// skipLZMA2 skips an LZMA2 stream's chunks up to its end marker and
// returns the bytes skipped. Control bytes (from xz-embedded's
// xz_dec_lzma2.c): 0x00 end; 0x01 and 0x02 an uncompressed chunk with a
// 16-bit big-endian size minus one; 0x80-0xff an LZMA chunk with 16 bits
// of unpacked size, a 16-bit packed size minus one and, from 0xc0 on, a
// properties byte.
func skipLZMA2(r *bufio.Reader) (int64, error) {
	var n int64
	for {
		c, err := r.ReadByte()
		if err != nil {
			return n, err
		}
		n++
		var skip, hdr int
		switch {
		case c == 0:
			return n, nil
		case c == 1 || c == 2:
			hdr = 2
		case c >= 0x80:
			hdr = 4
			if c >= 0xc0 {
				hdr = 5
			}
		default:
			return n, fmt.Errorf("xz: bad LZMA2 control byte %#x", c)
		}
		var h [5]byte
		if _, err := io.ReadFull(r, h[:hdr]); err != nil {
			return n, err
		}
		n += int64(hdr)
		if hdr == 2 {
			skip = int(binary.BigEndian.Uint16(h[:])) + 1
		} else {
			skip = int(binary.BigEndian.Uint16(h[2:])) + 1
		}
		if _, err := r.Discard(skip); err != nil {
			return n, err
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
