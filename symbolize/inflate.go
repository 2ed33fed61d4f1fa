package symbolize

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/coreview/coreview/internal/inflate"
)

// elf64ChdrSize is sizeof(Elf64_Chdr): ch_type u32, ch_reserved u32,
// ch_size u64, ch_addralign u64 (gABI, "Section Compression").
const elf64ChdrSize = 24

// zstdDecoder inflates zstd sections; DecodeAll is safe for concurrent use.
// It is made on first use: making it starts a decoder per CPU, a third of
// a millisecond at every start of a process that seldom meets one.
var zstdDecoder = sync.OnceValue(func() *zstd.Decoder {
	d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxSectionSize))
	return d
})

// inflateSection decodes an SHF_COMPRESSED section from its stored bytes: an
// Elf64_Chdr, then a zlib or zstd stream of ch_size bytes. It uses
// internal/inflate for zlib, twice as fast as klauspost's flate on
// libc6-dbg's debug file, whose DWARF every glibc frame needs, and
// klauspost's zstd. ch_size is capped before anything is allocated, and the
// output must be exactly that long; the zlib trailer's checksum is not
// read (the stream stops at ch_size bytes), as it never was: what is
// inflated is parsed as the untrusted input it is.
func inflateSection(raw []byte, order binary.ByteOrder) ([]byte, error) {
	if len(raw) < elf64ChdrSize {
		return nil, fmt.Errorf("compressed section of %d bytes has no Elf64_Chdr", len(raw))
	}
	return decompress(elf.CompressionType(order.Uint32(raw[0:])), order.Uint64(raw[8:]), raw[elf64ChdrSize:])
}

// inflateGNU decodes a GNU-compressed .zdebug_* section: "ZLIB", the
// inflated size as a big-endian 64-bit number, then a zlib stream (the
// format before SHF_COMPRESSED; objcopy --compress-debug-sections=zlib-gnu).
func inflateGNU(raw []byte) ([]byte, error) {
	if len(raw) < 12 || string(raw[:4]) != "ZLIB" {
		return nil, fmt.Errorf(".zdebug section without its ZLIB header")
	}
	return decompress(elf.COMPRESS_ZLIB, binary.BigEndian.Uint64(raw[4:12]), raw[12:])
}

// decompress inflates a stream that must give exactly size bytes, capped
// before anything is allocated.
func decompress(typ elf.CompressionType, size uint64, stream []byte) ([]byte, error) {
	if size > maxSectionSize {
		return nil, fmt.Errorf("compressed section claims %d bytes, more than the %d allowed", size, maxSectionSize)
	}
	switch typ {
	case elf.COMPRESS_ZLIB:
		zr, err := inflate.NewZlibReader(stream, false)
		if err != nil {
			return nil, fmt.Errorf("zlib section: %w", err)
		}
		out := make([]byte, size)
		if _, err := io.ReadFull(zr, out); err != nil {
			return nil, fmt.Errorf("zlib section: %w", err)
		}
		return out, nil
	case elf.COMPRESS_ZSTD:
		out, err := zstdDecoder().DecodeAll(stream, make([]byte, 0, size))
		if err != nil {
			return nil, fmt.Errorf("zstd section: %w", err)
		}
		if uint64(len(out)) != size {
			return nil, fmt.Errorf("zstd section: %d bytes, the header says %d", len(out), size)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown section compression %d", typ)
}
