package coreinput

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// TestDeclaredSize compresses the same bytes in each format that declares
// its size, as the Go encoders and the zstd and gzip tools write them,
// and reads the size back; raw bytes and xz declare none.
func TestDeclaredSize(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("core\x00\x00\x00\x00"), 300_000) // 2.4 MB
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	compress := func(kind string) []byte {
		var buf bytes.Buffer
		w, err := NewWriter(kind, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	// zstd's encoder declares the size when it knows it up front.
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	var lz bytes.Buffer
	lw := lz4.NewWriter(&lz)
	if err := lw.Apply(lz4.SizeOption(uint64(len(data)))); err != nil {
		t.Fatal(err)
	}
	if _, err := lw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		path string
		want int64
		ok   bool
	}{
		{"zstd EncodeAll", write("a.zst", enc.EncodeAll(data, nil)), int64(len(data)), true},
		{"zstd stream", write("b.zst", compress("zstd")), 0, false},
		{"gzip", write("c.gz", compress("gzip")), int64(len(data)), true},
		{"xz", write("d.xz", compress("xz")), 0, false},
		{"lz4 with its size", write("h.lz4", lz.Bytes()), int64(len(data)), true},
		{"lz4 stream", write("i.lz4", compress("lz4")), 0, false},
		{"raw", write("e", data), 0, false},
		{"short zstd", write("f.zst", []byte{0x28, 0xb5, 0x2f, 0xfd, 0xc0}), 0, false},
		{"short gzip", write("g.gz", []byte{0x1f, 0x8b, 8, 0}), 0, false},
		{"missing", filepath.Join(dir, "none"), 0, false},
	}
	for _, tool := range []struct{ name, arg, ext string }{{"zstd", "-q", "zst"}, {"gzip", "-n", "gz"}} {
		if _, err := exec.LookPath(tool.name); err != nil {
			continue
		}
		raw := write("t-"+tool.name, data)
		if out, err := exec.Command(tool.name, tool.arg, "-k", raw).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", tool.name, err, out)
		}
		cases = append(cases, struct {
			name string
			path string
			want int64
			ok   bool
		}{tool.name + " tool", raw + "." + tool.ext, int64(len(data)), true})
	}
	for _, tc := range cases {
		got, ok := DeclaredSize(tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: DeclaredSize = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestZstdContentSizeFields decodes each width of Frame_Content_Size,
// with and without a window descriptor and a dictionary id.
func TestZstdContentSizeFields(t *testing.T) {
	magic := []byte{0x28, 0xb5, 0x2f, 0xfd}
	frame := func(fhd byte, rest ...byte) []byte {
		return append(append(append([]byte(nil), magic...), fhd), rest...)
	}
	cases := []struct {
		head []byte
		want int64
		ok   bool
	}{
		{frame(0x20, 200), 200, true},                           // single segment, 1 byte
		{frame(0x60, 0x10, 0x00), 0x10 + 256, true},             // single segment, 2 bytes (+256)
		{frame(0x80, 0x58, 1, 2, 3, 4), 0x04030201, true},       // window byte, 4 bytes
		{frame(0x81, 0x58, 9, 1, 0, 0, 0x10), 0x10000001, true}, // window, 1-byte dictionary id, 4 bytes
		{frame(0xc0, 0x58, 0, 0, 0, 0x1d, 0, 0, 0, 0), 0x1d000000, true},
		{frame(0x00, 0x58), 0, false}, // no size declared
		{frame(0x80, 0x58, 1), 0, false},
	}
	for _, tc := range cases {
		got, ok := zstdContentSize(tc.head)
		if got != tc.want || ok != tc.ok {
			t.Errorf("zstdContentSize(% x) = %d, %v; want %d, %v", tc.head, got, ok, tc.want, tc.ok)
		}
	}
}

// TestZstdFHD checks the frame header layout against RFC 8878's table
// (3.1.1.1.1), by hand, for each field's sizes.
func TestZstdFHD(t *testing.T) {
	for _, c := range []struct {
		fhd                       zstdFHD
		window, dict, fcs, fcsOff int
		rest                      int
		sum                       bool
	}{
		{0x00, 1, 0, 0, 6, 1, false}, // a window, nothing else
		{0x20, 0, 0, 1, 5, 1, false}, // single segment: a 1-byte size
		{0x64, 0, 0, 2, 5, 2, true},  // FCS flag 1: 2 bytes; checksum
		{0xa1, 0, 1, 4, 6, 5, false}, // FCS flag 2: 4 bytes; 1-byte dictionary ID
		{0xc3, 1, 4, 8, 10, 13, false},
		{0x42, 1, 2, 2, 8, 5, false},
	} {
		d := c.fhd
		if d.windowSize() != c.window || d.dictIDSize() != c.dict || d.fcsSize() != c.fcs || d.fcsOffset() != c.fcsOff || d.rest() != c.rest || d.checksum() != c.sum {
			t.Errorf("%#02x: window %d dict %d fcs %d at %d, rest %d, checksum %v; want %d %d %d at %d, %d, %v",
				byte(d), d.windowSize(), d.dictIDSize(), d.fcsSize(), d.fcsOffset(), d.rest(), d.checksum(),
				c.window, c.dict, c.fcs, c.fcsOff, c.rest, c.sum)
		}
	}
}
