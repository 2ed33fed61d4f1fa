package safefile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestAllZero puts one non-zero byte at every position of buffers of
// every length up to 100 (the word loop and the byte loop's tail).
func TestAllZero(t *testing.T) {
	for n := 0; n <= 100; n++ {
		b := make([]byte, n)
		if !allZero(b) {
			t.Fatalf("allZero(%d zero bytes) = false", n)
		}
		for i := range b {
			b[i] = 0x80
			if allZero(b) {
				t.Fatalf("allZero: %d bytes with byte %d set = true", n, i)
			}
			b[i] = 0
		}
	}
}

// TestCopySparse copies blocks of zeros and of data, and a trailing hole:
// the copy reads back the same bytes, and its zero blocks are holes.
func TestCopySparse(t *testing.T) {
	data := make([]byte, 0, 40*sparseBlock)
	for i := 0; i < 40; i++ {
		blk := make([]byte, sparseBlock)
		if i%8 == 3 {
			blk[i] = byte(i) // a block of data, one byte set
			blk[sparseBlock-1] = 1
		}
		data = append(data, blk...)
	}
	data = append(data, 7, 0, 0) // a short last block
	data = append(data, make([]byte, 3*sparseBlock)...)
	f, err := os.Create(filepath.Join(t.TempDir(), "copy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := CopySparse(f, bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("CopySparse = %d, %v; want %d, nil", n, err, len(data))
	}
	got, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<40))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("the copy differs from the data (%d bytes, want %d)", len(got), len(data))
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	// 5 data blocks and the short one are written; a file system that
	// keeps holes allocates far less than the 44 blocks' size.
	if allocated := st.Blocks * 512; allocated >= int64(len(data))/2 {
		t.Errorf("the copy has %d bytes allocated of %d: its zero blocks were written, not skipped", allocated, len(data))
	}
}

func BenchmarkAllZero(b *testing.B) {
	buf := make([]byte, sparseBlock)
	b.SetBytes(sparseBlock)
	for i := 0; i < b.N; i++ {
		if !allZero(buf) {
			b.Fatal("not zero")
		}
	}
}
