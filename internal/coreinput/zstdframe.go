package coreinput

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
