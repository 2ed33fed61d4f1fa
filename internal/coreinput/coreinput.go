// Package coreinput opens a core file as it is stored: raw ELF, or
// compressed with zstd as systemd-coredump stores it. Compressed cores are
// decompressed, streaming and with a size cap, into an unlinked temporary
// file.
package coreinput

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/safefile"
)

// DefaultMaxSize caps the decompressed size of a core.
const DefaultMaxSize = 64 << 30

// ErrTooLarge is returned when a compressed core decompresses past the cap.
var ErrTooLarge = errors.New("decompressed core exceeds the size limit")

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// Compression names the format a core is stored in.
func Compression(head []byte) string {
	if bytes.HasPrefix(head, zstdMagic) {
		return "zstd"
	}
	return ""
}

// Open opens the core at path, decompressing it if needed. maxSize caps the
// decompressed size (DefaultMaxSize if 0).
func Open(path string, maxSize int64) (*corefile.File, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	f, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 4)
	n, _ := f.ReadAt(head, 0)
	switch Compression(head[:n]) {
	case "zstd":
		defer f.Close()
		tmp, err := decompress(f, maxSize)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		c, err := corefile.OpenFile(tmp)
		if err != nil {
			return nil, fmt.Errorf("%s (decompressed): %w", path, err)
		}
		return c, nil
	}
	f.Close()
	c, err := corefile.Open(path)
	if err != nil {
		var fe *corefile.FormatError
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return c, nil
}

func decompress(r io.Reader, maxSize int64) (*os.File, error) {
	dec, err := zstd.NewReader(bufio.NewReaderSize(r, 1<<20), zstd.WithDecoderMaxMemory(1<<30), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	tmp, err := os.CreateTemp("", "coreview-core-*")
	if err != nil {
		return nil, err
	}
	os.Remove(tmp.Name()) // unlinked: gone when closed, whatever happens
	n, err := io.Copy(tmp, io.LimitReader(dec, maxSize+1))
	if err != nil {
		tmp.Close()
		return nil, fmt.Errorf("zstd: %w", err)
	}
	if n > maxSize {
		tmp.Close()
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, maxSize)
	}
	return tmp, nil
}
