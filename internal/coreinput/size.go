package coreinput

import (
	"encoding/binary"
	"io"

	"github.com/coreview/coreview/internal/safefile"
)

// DeclaredSize returns the size the core at path says it decompresses
// to, read from its first frame's header (zstd's Frame_Content_Size,
// lz4's content size) or from its trailer (gzip's ISIZE, the size modulo
// 2^32), and false when the file is not compressed, does not declare a
// size (an xz stream's is in its index; zstd and lz4 streams written
// without knowing it), or cannot be read. The size is what the stream
// claims, not what it holds: it is only good for guessing which cores
// cost the most (scan starts those first), never for sizing a buffer.
func DeclaredSize(path string) (int64, bool) {
	f, err := safefile.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	head := make([]byte, 32)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch Compression(head) {
	case "zstd":
		return zstdContentSize(head)
	case "lz4":
		return lz4ContentSize(head)
	case "gzip":
		st, err := f.Stat()
		if err != nil || st.Size() < 18 { // header 10, trailer 8
			return 0, false
		}
		var tail [4]byte
		if _, err := f.ReadAt(tail[:], st.Size()-4); err != nil {
			return 0, false
		}
		return int64(binary.LittleEndian.Uint32(tail[:])), true
	}
	return 0, false
}

// zstdContentSize decodes the Frame_Content_Size of the zstd frame that
// head starts with (RFC 8878, 3.1.1.1).
func zstdContentSize(head []byte) (int64, bool) {
	if len(head) < 5 {
		return 0, false
	}
	fhd := zstdFHD(head[4])
	fcsSize := fhd.fcsSize()
	if fcsSize == 0 {
		return 0, false // not declared
	}
	off := fhd.fcsOffset()
	if off+fcsSize > len(head) {
		return 0, false
	}
	b := head[off : off+fcsSize]
	switch fcsSize {
	case 1:
		return int64(b[0]), true
	case 2:
		return int64(binary.LittleEndian.Uint16(b)) + 256, true
	case 4:
		return int64(binary.LittleEndian.Uint32(b)), true
	}
	v := binary.LittleEndian.Uint64(b)
	if v > 1<<62 {
		return 0, false
	}
	return int64(v), true
}

// lz4ContentSize decodes the Content Size of the lz4 frame that head
// starts with (the LZ4 Frame Format: FLG bit 3, 8 bytes after BD).
func lz4ContentSize(head []byte) (int64, bool) {
	if len(head) < 14 {
		return 0, false
	}
	flg := head[4]
	if flg>>6 != 1 || flg&0x08 == 0 {
		return 0, false
	}
	v := binary.LittleEndian.Uint64(head[6:14])
	if v > 1<<62 {
		return 0, false
	}
	return int64(v), true
}
