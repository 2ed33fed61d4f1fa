package safefile

import (
	"io"
	"os"
)

// sparseBlock is the unit copySparse checks for zeros.
const sparseBlock = 64 << 10

// CopySparse copies r to f, seeking over blocks of zeros instead of
// writing them. Cores are mostly untouched stack and heap pages, which the
// kernel writes as holes; keeping them holes makes decompressing a
// 500 MB core of a many-threaded process take milliseconds, not a second.
func CopySparse(f *os.File, r io.Reader) (int64, error) {
	buf := make([]byte, sparseBlock)
	var n int64
	for {
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			if allZero(buf[:k]) {
				if _, err := f.Seek(int64(k), io.SeekCurrent); err != nil {
					return n, err
				}
			} else if _, err := f.Write(buf[:k]); err != nil {
				return n, err
			}
			n += int64(k)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return n, err
		}
	}
	// A trailing hole needs the size set explicitly.
	return n, f.Truncate(n)
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
