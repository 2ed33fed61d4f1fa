package coreinput

import "github.com/klauspost/compress/zstd"

// zstdFHD is a zstd frame's Frame_Header_Descriptor (RFC 8878,
// 3.1.1.1.1): which fields follow it in the frame header, and their
// sizes. DeclaredSize reads the content size from them; rleAsRaw passes
// the header over.
type zstdFHD byte

// single is Single_Segment_Flag: no Window_Descriptor, and a content
// size is always there.
func (d zstdFHD) single() bool { return d&0x20 != 0 }

// checksum is Content_Checksum_Flag: the frame ends with 4 bytes of
// checksum.
func (d zstdFHD) checksum() bool { return d&0x04 != 0 }

// windowSize is Window_Descriptor's size: 1, or 0 in a single segment.
func (d zstdFHD) windowSize() int {
	if d.single() {
		return 0
	}
	return 1
}

// dictIDSize is Dictionary_ID's size (Dictionary_ID_Flag).
func (d zstdFHD) dictIDSize() int { return [4]int{0, 1, 2, 4}[d&3] }

// fcsSize is Frame_Content_Size's size (Frame_Content_Size_Flag): 0 when
// the frame does not declare it.
func (d zstdFHD) fcsSize() int {
	n := [4]int{0, 2, 4, 8}[d>>6]
	if n == 0 && d.single() {
		n = 1
	}
	return n
}

// fcsOffset is where Frame_Content_Size starts, from the frame's start
// (4 bytes of magic, then the descriptor).
func (d zstdFHD) fcsOffset() int { return 5 + d.windowSize() + d.dictIDSize() }

// rest is the size of the header after the descriptor.
func (d zstdFHD) rest() int { return d.windowSize() + d.dictIDSize() + d.fcsSize() }

// zstdWindow is the window size of the zstd frame that head starts with
// (RFC 8878, 3.1.1.1.2: Window_Descriptor, or the content size in a
// single segment), and false when head is too short to hold it.
func zstdWindow(head []byte) (uint64, bool) {
	if len(head) < 6 {
		return 0, false
	}
	d := zstdFHD(head[4])
	if d.single() {
		n, ok := zstdContentSize(head)
		return uint64(n), ok
	}
	wd := head[5]
	log := 10 + uint(wd>>3)
	base := uint64(1) << log
	return base + base/8*uint64(wd&7), true
}

// zstdSniffHeader returns the header of the zstd frame head starts with
// declaring a window of maxPooledWindow instead of its own, when its own
// is larger, and the length of the header it replaces. The first bytes
// of a frame are the same whatever window it declares: a match in the
// first block (at most 128 KiB, Block_Maximum_Size) reaches back at most
// that far. Sniff decodes 64 bytes, and a decoder for the declared
// window (zstd --long: up to 512 MiB) would allocate all of it, and zero
// it each time Go hands it out again: 0.1 s of system time per file.
//
// A single-segment frame (no Window_Descriptor, its window its content
// size) becomes one with a Window_Descriptor: only a content size of 4
// or 8 bytes is past the window, and those sizes do not depend on the
// flag.
func zstdSniffHeader(head []byte) (header []byte, replaced int, ok bool) {
	w, ok := zstdWindow(head)
	if !ok || w <= maxPooledWindow || w > zstd.MaxWindowSize || string(head[:4]) != "\x28\xb5\x2f\xfd" {
		// Past zstd.MaxWindowSize no decoder here reads the frame
		// (ErrWindowSizeExceeded), and Sniff says so.
		return nil, 0, false
	}
	d := zstdFHD(head[4])
	n := 5 + d.rest()
	if len(head) < n || d&0x08 != 0 { // cut, or the reserved bit set: left to the decoder
		return nil, 0, false
	}
	const window16MiB = (24 - 10) << 3 // Exponent 14, Mantissa 0: 1 << 24
	out := append([]byte(nil), head[:4]...)
	out = append(out, byte(d&^0x20), window16MiB)
	out = append(out, head[5+d.windowSize():n]...)
	return out, n, true
}
