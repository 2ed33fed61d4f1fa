package safefile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"testing/iotest"
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

// sparseData is 40 blocks, every eighth from the fourth with data, a short
// block of data and a trailing hole of three blocks.
func sparseData() []byte {
	data := make([]byte, 0, 44*sparseBlock)
	for i := 0; i < 40; i++ {
		blk := make([]byte, sparseBlock)
		if i%8 == 3 {
			blk[i] = byte(i) // a block of data, one byte set
			blk[sparseBlock-1] = 1
		}
		data = append(data, blk...)
	}
	data = append(data, 7, 0, 0) // a short last block
	return append(data, make([]byte, 3*sparseBlock)...)
}

// chunkWriterTo writes its data to w in pieces of the sizes it cycles
// through, none a multiple of sparseBlock, as a decompressor's WriteTo
// hands over its blocks.
type chunkWriterTo struct {
	data  []byte
	sizes []int
}

func (c *chunkWriterTo) Read([]byte) (int, error) { panic("Read called on a WriterTo") }

func (c *chunkWriterTo) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for i := 0; len(c.data) > 0; i++ {
		k := min(c.sizes[i%len(c.sizes)], len(c.data))
		m, err := w.Write(c.data[:k])
		n += int64(m)
		if err != nil {
			return n, err
		}
		c.data = c.data[k:]
	}
	return n, nil
}

// TestCopySparse copies blocks of zeros and of data, and a trailing hole,
// read a byte at a time, in half reads and through WriteTo in pieces that
// straddle the blocks: each copy reads back the same bytes, and its zero
// blocks are holes.
func TestCopySparse(t *testing.T) {
	data := sparseData()
	for _, tc := range []struct {
		name string
		r    func() io.Reader
	}{
		{"whole", func() io.Reader { return bytes.NewReader(data) }},
		{"bytes", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) }},
		{"halves", func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) }},
		{"WriteTo", func() io.Reader {
			return &chunkWriterTo{data: data, sizes: []int{1, sparseBlock - 1, 3*sparseBlock + 5, 100, 2 * sparseBlock}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "copy"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			n, err := CopySparse(f, tc.r(), -1)
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
			// 5 data blocks and the short one are written; a file
			// system that keeps holes allocates far less than the 44
			// blocks' size.
			if allocated := st.Blocks * 512; allocated >= int64(len(data))/2 {
				t.Errorf("the copy has %d bytes allocated of %d: its zero blocks were written, not skipped", allocated, len(data))
			}
		})
	}
}

// TestCopySparseLimit stops at the limit, inside a data block, inside a
// hole and at the end, through Read and through WriteTo: the copy is the
// data's first limit bytes, and the file is that long.
func TestCopySparseLimit(t *testing.T) {
	data := sparseData()
	for _, limit := range []int64{0, 1, 3*sparseBlock + 7, 5 * sparseBlock, int64(len(data)) - 1, int64(len(data)), int64(len(data)) + 1} {
		for _, writerTo := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(data)
			if writerTo {
				r = &chunkWriterTo{data: data, sizes: []int{sparseBlock + 3, 7}}
			}
			f, err := os.Create(filepath.Join(t.TempDir(), "copy"))
			if err != nil {
				t.Fatal(err)
			}
			want := data[:min(limit, int64(len(data)))]
			n, err := CopySparse(f, r, limit)
			if err != nil || n != int64(len(want)) {
				t.Fatalf("limit %d (WriteTo %v): CopySparse = %d, %v; want %d, nil", limit, writerTo, n, err, len(want))
			}
			got, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<40))
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("limit %d (WriteTo %v): the copy differs from the data's first %d bytes (%d bytes)", limit, writerTo, len(want), len(got))
			}
		}
	}
}

// TestCopySparseErrors tells the file's errors (a *WriteError) from the
// reader's, which are returned as they are.
func TestCopySparseErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "copy")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ro, err := os.Open(path) // read-only: writing fails
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var we *WriteError
	if _, err := CopySparse(ro, bytes.NewReader([]byte{1, 2, 3}), -1); !errors.As(err, &we) {
		t.Errorf("writing a read-only file: %v, want a *WriteError", err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bad := errors.New("the reader's own error")
	n, err := CopySparse(f, io.MultiReader(bytes.NewReader([]byte{1, 2, 3}), iotest.ErrReader(bad)), -1)
	if n != 3 || err != bad {
		t.Errorf("a failing reader: %d, %v; want 3, %v", n, err, bad)
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
