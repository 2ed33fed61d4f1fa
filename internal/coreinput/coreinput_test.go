package coreinput

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

func compressTo(t *testing.T, kind string, data []byte, path string) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(kind, &buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCompressedCores: the same core stored raw and in each compression
// opens to the same threads and mappings.
func TestCompressedCores(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	raw, err := os.ReadFile(f.RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Open(f.RawCore(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	dir := t.TempDir()
	for _, kind := range []string{"zstd", "xz", "gzip", "lz4"} {
		t.Run(kind, func(t *testing.T) {
			path := filepath.Join(dir, "core."+kind)
			compressTo(t, kind, raw, path)
			isCore, comp, err := Sniff(path)
			if err != nil || !isCore || comp != kind {
				t.Errorf("Sniff = %v, %q, %v", isCore, comp, err)
			}
			c, err := Open(path, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if len(c.Threads) != len(want.Threads) || c.Threads[0].Regs != want.Threads[0].Regs || len(c.Mappings) != len(want.Mappings) {
				t.Errorf("decompressed core differs from the raw one")
			}
		})
	}
	// A decompression bomb stops at the cap.
	path := filepath.Join(dir, "bomb.zst")
	compressTo(t, "zstd", raw, path)
	if _, err := Open(path, 4096); !errors.Is(err, ErrTooLarge) {
		t.Errorf("capped open: %v, want ErrTooLarge", err)
	}
	// Text is not a core, compressed or not.
	txt := filepath.Join(dir, "notes.gz")
	compressTo(t, "gzip", []byte("just some notes, not a core"), txt)
	if isCore, _, _ := Sniff(txt); isCore {
		t.Error("a gzipped text file sniffed as a core")
	}
}

func TestReadMeta(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "core.my.prog.1000.0123456789abcdef0123456789abcdef.4242.1700000000123456.zst")
	os.WriteFile(path, nil, 0o644)
	m := ReadMeta(path)
	if !m.FromName || m.Comm != "my.prog" || m.UID != 1000 || m.PID != 4242 || m.BootID != "0123456789abcdef0123456789abcdef" || m.Time.UnixMicro() != 1700000000123456 {
		t.Errorf("from name: %+v", m)
	}
	// Extended attributes, when the file system keeps user xattrs.
	if err := syscall.Setxattr(path, "user.coredump.exe", []byte("/usr/bin/prog"), 0); err != nil {
		t.Skipf("no user xattrs here: %v", err)
	}
	syscall.Setxattr(path, "user.coredump.signal", []byte("11"), 0)
	m = ReadMeta(path)
	if !m.FromXattr || m.Exe != "/usr/bin/prog" || m.Signal != 11 {
		t.Errorf("from xattrs: %+v", m)
	}
	if m := ReadMeta(filepath.Join(dir, "core")); !m.Empty() {
		t.Errorf("plain core: %+v", m)
	}
}

// TestReadMetaTimestampRange: a timestamp no clock can write (2^63-1 µs) in
// the file name or the xattr is dropped with a warning, and the metadata
// still encodes as JSON.
func TestReadMetaTimestampRange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "core.prog.1000.0123456789abcdef0123456789abcdef.4242.9223372036854775807.zst")
	os.WriteFile(path, nil, 0o644)
	check := func(m Meta, where string) {
		t.Helper()
		if !m.Time.IsZero() || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], where) || !strings.Contains(m.Warnings[0], "out of range") {
			t.Errorf("time %v, warnings %q; want it dropped, saying so for %s", m.Time, m.Warnings, where)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Errorf("json: %v", err)
		}
	}
	m := ReadMeta(path)
	if !m.FromName || m.PID != 4242 {
		t.Errorf("the rest of the name is lost: %+v", m)
	}
	check(m, "the file name")
	plain := filepath.Join(dir, "core")
	os.WriteFile(plain, nil, 0o644)
	if err := syscall.Setxattr(plain, "user.coredump.timestamp", []byte("9223372036854775807"), 0); err != nil {
		t.Skipf("no user xattrs here: %v", err)
	}
	check(ReadMeta(plain), "user.coredump.timestamp")
	syscall.Setxattr(plain, "user.coredump.timestamp", []byte("-5"), 0)
	check(ReadMeta(plain), "user.coredump.timestamp")
	syscall.Setxattr(plain, "user.coredump.timestamp", []byte("1700000000123456"), 0)
	if m := ReadMeta(plain); m.Time.UnixMicro() != 1700000000123456 || len(m.Warnings) != 0 {
		t.Errorf("a good xattr timestamp: %v %q", m.Time, m.Warnings)
	}
}

// hugeDictXZ compresses data with xz and rewrites the first block header
// to declare a 4 GiB dictionary (dictionary byte 40), with its CRC32 fixed:
// the decoder would allocate it before decoding a byte.
func hugeDictXZ(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter("xz", &buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	b := buf.Bytes()
	hlen := (int(b[12]) + 1) * 4
	h := b[12 : 12+hlen]
	i := bytes.Index(h, []byte{0x21, 0x01})
	if i < 0 {
		t.Fatalf("no LZMA2 filter flags in block header % x", h)
	}
	h[i+2] = 40
	binary.LittleEndian.PutUint32(h[hlen-4:], crc32.ChecksumIEEE(h[:hlen-4]))
	return b
}

// TestXZDictionaryCap: a stream declaring a 4 GiB dictionary for a small
// core sniffs (with a small dictionary) and opens (with one the size of
// what the block decodes to) as the core it holds; a child doing both for
// eight copies stays within 200 MiB (it reached 16.8 GB).
func TestXZDictionaryCap(t *testing.T) {
	raw, err := os.ReadFile(testfixture.Get(t, "c-null-call").RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "core.xz")
	if err := os.WriteFile(path, hugeDictXZ(t, raw), 0o644); err != nil {
		t.Fatal(err)
	}
	if testfixture.InChild(t) {
		for range 8 {
			isCore, kind, err := Sniff(path)
			if !isCore || kind != "xz" || err != nil {
				t.Errorf("Sniff = %v %q %v", isCore, kind, err)
			}
			c, err := Open(path, 0)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got := c.Size(); got != int64(len(raw)) {
				t.Errorf("Open: a %d-byte core, want %d", got, len(raw))
			}
			c.Close()
		}
		return
	}
	const budget = 200 << 20
	rss := testfixture.RunInChild(t, 2<<30)
	t.Logf("peak RSS %d MiB", rss>>20)
	if rss > budget {
		t.Errorf("peak RSS %d MiB, budget %d MiB", rss>>20, budget>>20)
	}
}

// TestCorruptCompressedCores: a compressed core with a byte changed in the
// middle of its stream (the core's bytes, then its checksum) is an error,
// not a truncated core to analyse: the bytes before the damage are not
// known to be right. The error names the compression once.
func TestCorruptCompressedCores(t *testing.T) {
	raw, err := os.ReadFile(testfixture.Get(t, "c-null-call").RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, kind := range []string{"zstd", "xz", "gzip", "lz4"} {
		var buf bytes.Buffer
		w, _ := NewWriter(kind, &buf)
		w.Write(raw)
		w.Close()
		bad := buf.Bytes()
		bad[len(bad)/2] ^= 0x55
		path := filepath.Join(dir, "core-"+strconv.Itoa(len(bad)))
		os.WriteFile(path, bad, 0o644)
		c, err := Open(path, 0)
		var se *StreamError
		switch {
		case err == nil:
			c.Close()
			t.Errorf("%s: a corrupt stream opened", kind)
		case errors.As(err, &se):
			t.Errorf("%s: %v, want an error, not a truncated stream", kind, err)
		case strings.Count(err.Error(), kind+":") != 1:
			t.Errorf("%s: %v, want %q once", kind, err, kind+":")
		}
	}
}

// TestTruncatedCompressedCores: a compressed core cut short is reported as
// truncated, and what came out before the cut is read like a cut raw core;
// never "empty file".
func TestTruncatedCompressedCores(t *testing.T) {
	raw, err := os.ReadFile(testfixture.Get(t, "c-null-call").RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	// Incompressible bytes after the core make the streams emit output
	// before the end (xz and zstd emit output in pieces of at most 2 MiB,
	// lz4 in blocks of 4 MiB).
	noise := make([]byte, 5<<20)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range noise {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		noise[i] = byte(x)
	}
	dir := t.TempDir()
	for _, kind := range []string{"zstd", "xz", "gzip", "lz4"} {
		t.Run(kind, func(t *testing.T) {
			var buf bytes.Buffer
			w, _ := NewWriter(kind, &buf)
			w.Write(raw)
			if kind == "lz4" {
				w.Write(noise)
			} else {
				w.Write(noise[:1<<20])
			}
			w.Close()
			whole := buf.Bytes()
			for _, tc := range []struct {
				name   string
				keep   int
				opened bool
			}{
				{"header only", 24, false},
				{"cut in the noise", len(whole) - 256<<10, true},
			} {
				path := filepath.Join(dir, kind+"-"+strings.ReplaceAll(tc.name, " ", "-"))
				os.WriteFile(path, whole[:tc.keep], 0o644)
				c, err := Open(path, 0)
				var se *StreamError
				switch {
				case tc.opened && err != nil:
					t.Errorf("%s: %v, want the part before the cut opened", tc.name, err)
				case tc.opened:
					if len(c.Warnings) == 0 || !strings.Contains(c.Warnings[0], "stream is truncated") || len(c.Threads) == 0 {
						t.Errorf("%s: warnings %q, %d threads", tc.name, c.Warnings, len(c.Threads))
					}
					c.Close()
				case err == nil:
					c.Close()
					t.Errorf("%s: opened", tc.name)
				case !errors.As(err, &se) || strings.Contains(err.Error(), "empty file"):
					t.Errorf("%s: %v, want a truncated stream", tc.name, err)
				}
			}
		})
	}
}
