package coreinput

import (
	"encoding/binary"
	"io"
)

// rleAsRaw passes a zstd stream through with every RLE block (one byte
// and a count, RFC 8878 §3.1.1.2.2) turned into a Raw block of the same
// bytes, for the decoder to copy instead of filling.
//
// klauspost's decoder fills an RLE block a byte at a time (1.3 GB/s here),
// and a core is mostly zeros: libzstd writes each 128 KiB block of zeros
// as an RLE block, so the 473 MB c-threads fixture (61 threads, 44 KB of
// zstd) spent 0.38 s of its 0.44 s filling them. A Raw block it copies
// twice, at memory speed. The decoded bytes, the frame checksum and the
// errors are the same: a Raw block has the RLE block's size limits and
// checks (blockDec.reset), and whatever rleAsRaw does not understand (a
// reserved block type, a block too large to be valid, a cut header) is
// passed on unchanged from there to the end, for the decoder to judge.
type rleAsRaw struct {
	r    io.Reader
	st   rleState
	left uint64 // bytes of the current block data, checksum or skippable frame still to copy, or of fill still to give
	last bool   // the current block is the frame's last
	sum  bool   // the current frame ends with a 4-byte checksum
	head []byte // bytes read or made, still to give (in hbuf)
	hbuf [32]byte
	fill []byte // maxBlockSize bytes of fillByte
	fv   byte
	err  error // the input's error, given once head is given
	// maxWindow is the largest window of the frames read so far
	// (zstdWindow); lost is set when z passes on bytes it did not
	// understand (rlePass), whose frames it cannot count, unless they are
	// none: the stream's clean end at a frame's start.
	maxWindow uint64
	lost      bool
}

// followed says whether z understood every frame header it passed on:
// then maxWindow is the largest window the decoder was asked for.
func (z *rleAsRaw) followed() bool { return !z.lost }

// pass passes the rest on as it is.
func (z *rleAsRaw) pass() { z.st, z.lost = rlePass, true }

type rleState int

const (
	rleFrame    rleState = iota // at a frame's start
	rleBlock                    // at a block header
	rleData                     // copying left bytes of block data, then the next block
	rleFill                     // giving left bytes of fill, then the next block
	rleChecksum                 // copying left bytes of the frame checksum, then the next frame
	rleSkip                     // copying left bytes of a skippable frame, then the next frame
	rlePass                     // copying the rest as it is
)

// maxBlockSize is Block_Maximum_Size's ceiling (128 KiB): no valid block
// regenerates more.
const maxBlockSize = 128 << 10

func newRLEAsRaw(r io.Reader) *rleAsRaw { return &rleAsRaw{r: r} }

func (z *rleAsRaw) Read(p []byte) (int, error) {
	for {
		if len(z.head) > 0 {
			n := copy(p, z.head)
			z.head = z.head[n:]
			return n, nil
		}
		if z.err != nil {
			return 0, z.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		switch z.st {
		case rleData, rleChecksum, rleSkip, rlePass:
			if z.st != rlePass && z.left == 0 {
				z.next()
				continue
			}
			q := p
			if z.st != rlePass && uint64(len(q)) > z.left {
				q = q[:z.left]
			}
			n, err := z.r.Read(q)
			z.left -= uint64(n)
			if err != nil {
				z.err = err
			}
			if n > 0 || err != nil {
				return n, nil
			}
		case rleFill:
			if z.left == 0 {
				z.next()
				continue
			}
			n := copy(p, z.fill[:min(z.left, uint64(len(z.fill)))])
			z.left -= uint64(n)
			return n, nil
		case rleFrame:
			z.frame()
		case rleBlock:
			z.block()
		}
	}
}

// next moves past what was just copied or given.
func (z *rleAsRaw) next() {
	switch z.st {
	case rleData, rleFill:
		switch {
		case !z.last:
			z.st = rleBlock
		case z.sum:
			z.st, z.left = rleChecksum, 4
		default:
			z.st = rleFrame
		}
	case rleChecksum, rleSkip:
		z.st = rleFrame
	}
}

// read reads n bytes into z.head; on a short read the bytes read are
// given, then the rest passed on (the decoder meets the cut).
func (z *rleAsRaw) read(n int) bool {
	start := len(z.head)
	z.head = z.hbuf[:start+n]
	k, err := io.ReadFull(z.r, z.head[start:])
	if err != nil {
		z.head = z.head[:start+k]
		if err != io.ErrUnexpectedEOF {
			z.err = err
		}
		// The stream's end between two frames is no byte passed on.
		end := err == io.EOF && start == 0 && z.st == rleFrame
		z.st, z.lost = rlePass, z.lost || !end
		return false
	}
	return true
}

// frame reads a frame header (§3.1.1.1), or a skippable frame's.
func (z *rleAsRaw) frame() {
	z.head = z.hbuf[:0]
	if !z.read(4) {
		return
	}
	magic := binary.LittleEndian.Uint32(z.head)
	if magic&0xfffffff0 == 0x184d2a50 { // skippable: its size, then its bytes
		if z.read(4) {
			z.st, z.left = rleSkip, uint64(binary.LittleEndian.Uint32(z.head[4:]))
		}
		return
	}
	if magic != 0xfd2fb528 || !z.read(1) {
		z.pass()
		return
	}
	fhd := zstdFHD(z.head[4])
	if z.read(fhd.rest()) {
		z.st, z.sum = rleBlock, fhd.checksum()
		if w, ok := zstdWindow(z.head); ok {
			z.maxWindow = max(z.maxWindow, w)
		} else {
			z.pass()
		}
	}
}

// block reads a block header (§3.1.1.2) and, for an RLE block of a valid
// size, its byte, and gives a Raw block header in its place.
func (z *rleAsRaw) block() {
	z.head = z.hbuf[:0]
	if !z.read(3) {
		return
	}
	h := uint32(z.head[0]) | uint32(z.head[1])<<8 | uint32(z.head[2])<<16
	z.last = h&1 != 0
	size := uint64(h >> 3)
	switch typ := h >> 1 & 3; {
	case typ == 0 || typ == 2: // Raw, Compressed: their bytes follow
		z.st, z.left = rleData, size
	case typ == 1 && size <= maxBlockSize: // RLE
		if !z.read(1) {
			return
		}
		v := z.head[3]
		raw := h &^ 6 // the type bits cleared: Raw, same size and last flag
		z.head = z.head[:3]
		z.head[0], z.head[1], z.head[2] = byte(raw), byte(raw>>8), byte(raw>>16)
		if z.fill == nil || z.fv != v {
			if z.fill == nil {
				z.fill = make([]byte, maxBlockSize)
			}
			for i := range z.fill {
				z.fill[i] = v
			}
			z.fv = v
		}
		z.st, z.left = rleFill, size
	default: // Reserved, or an RLE block too large: the decoder says so
		z.pass()
	}
}
