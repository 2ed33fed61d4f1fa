package inflate

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/adler32"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// samples are inputs of every kind a compressor treats differently:
// empty, one byte, runs (overlapping matches), text-like, random (stored
// and literal-only blocks), and long ones that slide the window.
func samples() map[string][]byte {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 300<<10)
	rng.Read(random)
	words := []string{"DW_TAG_subprogram", "DW_AT_name", "start_thread", "clone3", "\x00\x01\x02", "pthread_create.c", " ", "\n"}
	var text bytes.Buffer
	for text.Len() < 900<<10 {
		text.WriteString(words[rng.Intn(len(words))])
		if rng.Intn(50) == 0 {
			text.WriteByte(byte(rng.Intn(256)))
		}
	}
	runs := bytes.Repeat([]byte{'a'}, 70000)
	runs = append(runs, bytes.Repeat([]byte("abc"), 30000)...)
	mixed := append(append([]byte{}, random[:100<<10]...), text.Bytes()[:200<<10]...)
	mixed = append(mixed, random[:100<<10]...) // a match 300 KB back: none, past the window
	// Repeats of every period from 1 to 40 bytes, of every length to
	// past the longest match: matches at distances below, at and past
	// the eight and 32 bytes the match copy takes at a time, ending
	// anywhere in a word.
	var periods []byte
	for len(periods) < 600<<10 {
		p, n := 1+rng.Intn(40), 3+rng.Intn(300)
		unit := random[rng.Intn(len(random)-p):][:p]
		for k := 0; k < n; k++ {
			periods = append(periods, unit[k%p])
		}
		periods = append(periods, random[rng.Intn(len(random)-5):][:1+rng.Intn(4)]...)
	}
	return map[string][]byte{
		"periods": periods,
		"empty":   {}, "one": {'x'}, "short": []byte("hello, hello, hello"),
		"random": random, "text": text.Bytes(), "runs": runs, "mixed": mixed,
	}
}

func deflate(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// readAll reads r in steps of odd sizes, as sectionStream's ReadFull calls
// do.
func readAll(r io.Reader) ([]byte, error) {
	var out []byte
	buf := make([]byte, 7919)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestMatchesCompressFlate(t *testing.T) {
	for name, data := range samples() {
		for _, level := range []int{flate.NoCompression, flate.BestSpeed, 5, flate.BestCompression, flate.HuffmanOnly} {
			z := deflate(t, data, level)
			r, err := NewZlibReader(z, true)
			if err != nil {
				t.Fatalf("%s level %d: %v", name, level, err)
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatalf("%s level %d: %v", name, level, err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("%s level %d: %d bytes differ from the %d written", name, level, len(got), len(data))
			}
		}
	}
}

// TestFixedBlocks decodes a fixed-code block (compress/flate never writes
// one for long inputs): zlib's Z_FIXED strategy on literals of every code
// length (7, 8 and 9 bits) and matches, written by Python's zlib:
//
//	d = b'abcabcabcabcabcabcab, the quick brown fox \xff\xfe\x90\x91 '*3 + bytes(range(256))
//	c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_FIXED)
//	c.compress(d) + c.flush()
func TestFixedBlocks(t *testing.T) {
	const stream = "4b4c4a4e44473a0a2519a90a85a599c9d90a4945f9e5790a69f9150affff4d98a8904853e50c8c4ccc2cac6cec1c9c5cdc3cbc7cfc028242c222a262e2129252d232b272f20a8a4aca2aaa6aea1a9a5ada3aba7afa068646c626a666e6169656d636b676f60e8e4ece2eae6eee1e9e5ede3ebe7efe018141c121a161e1119151d131b171f1094007a4a4a6a567646665e7e4e6e5171416159794969557545655d7d4d6d537343635b7b4b6b577747675f7f4f6f54f983869f294a9d3a6cf98396bf69cb9f3e62f58b868f192a5cb96af58b96af59ab5ebd66fd8b869f396addbb6efd8b96bf79ebdfbf61f3878e8f091a3c78e9f3879eaf499b3e7ce5fb878e9f295abd7aedfb879ebf69dbbf7ee3f78f8e8f193a7cf9ebf78f9eaf59bb7efde7ff8f8e9f397afdfbefff8f9ebf79fbffffe0300"
	z, _ := hex.DecodeString(stream)
	if z[0]>>1&3 != 1 {
		t.Fatalf("the first block is of type %d, not fixed", z[0]>>1&3)
	}
	want := append(bytes.Repeat([]byte("abcabcabcabcabcabcab, the quick brown fox \xff\xfe\x90\x91 "), 3), make([]byte, 256)...)
	for i := range 256 {
		want[len(want)-256+i] = byte(i)
	}
	got, err := readAll(NewReader(z))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestTruncatedAndCorrupt(t *testing.T) {
	data := samples()["text"][:100<<10]
	z := deflate(t, data, 6)
	for _, cut := range []int{3, 10, len(z) / 2, len(z) - 5, len(z) - 1} {
		r, err := NewZlibReader(z[:cut], true)
		if err != nil {
			continue
		}
		if _, err := readAll(r); err == nil {
			t.Errorf("cut at %d of %d: no error", cut, len(z))
		}
	}
	bad := append([]byte{}, z...)
	bad[len(bad)-1] ^= 1
	r, _ := NewZlibReader(bad, true)
	if _, err := readAll(r); !errors.Is(err, ErrChecksum) {
		t.Errorf("a changed trailer: %v, want %v", err, ErrChecksum)
	}
	if _, err := NewZlibReader([]byte{0x78, 0x9d}, false); !errors.Is(err, ErrHeader) {
		t.Errorf("a bad header check: %v", err)
	}
}

func TestAdler32(t *testing.T) {
	for _, data := range samples() {
		if got, want := adler32Update(1, data), adler32.Checksum(data); got != want {
			t.Fatalf("adler32 %#x, want %#x", got, want)
		}
	}
}

// FuzzInflate holds Reader to compress/flate on any input: the same bytes
// out, and an error exactly when compress/flate gives one.
func FuzzInflate(f *testing.F) {
	for _, data := range samples() {
		if len(data) > 4096 {
			data = data[:4096]
		}
		for _, level := range []int{0, 1, 9, -2} {
			z := deflate(f, data, level)
			f.Add(z[2 : len(z)-4])
		}
	}
	// Codes of 15 bits, which no short sample gets from compress/flate.
	f.Add(longestMatchStream(0))
	f.Add(longestMatchStream(7))
	f.Fuzz(func(t *testing.T, stream []byte) {
		want, werr := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(stream)), 1<<20))
		got, gerr := readAll(io.LimitReader(NewReader(stream), 1<<20))
		if len(want) == 1<<20 {
			// compress/flate stopped by the limit: compare the prefix.
			if len(got) < len(want) || !bytes.Equal(got[:len(want)], want) {
				t.Fatalf("the first MiB differs")
			}
			return
		}
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("error %v, compress/flate %v", gerr, werr)
		}
		// On a broken stream the two may stop at different places, as
		// zlib and compress/flate do: compress/flate holds back the last
		// bytes of a stream cut short, and decodes a block without an
		// end-of-block code until it runs out, where zlib (and Reader)
		// refuse the block. What both decoded must agree.
		if werr != nil {
			n := min(len(got), len(want))
			if !bytes.Equal(got[:n], want[:n]) {
				t.Fatalf("the first %d bytes differ", n)
			}
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes (%v), compress/flate %d (%v)", len(got), gerr, len(want), werr)
		}
	})
}

// libcDebugInfo is the stored .debug_info of the installed libc6-dbg's
// debug file for this machine's libc, if there is one.
func libcDebugInfo(tb testing.TB) (stream []byte, size int) {
	paths, _ := filepath.Glob("/usr/lib/debug/.build-id/*/*.debug")
	for _, p := range paths {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		s := f.Section(".debug_info")
		if s == nil || s.Flags&elf.SHF_COMPRESSED == 0 || s.FileSize < 1<<20 {
			f.Close()
			continue
		}
		raw := make([]byte, s.FileSize)
		fh, _ := os.Open(p)
		_, err = fh.ReadAt(raw, int64(s.Offset))
		fh.Close()
		f.Close()
		if err != nil || elf.CompressionType(binary.LittleEndian.Uint32(raw)) != elf.COMPRESS_ZLIB {
			continue
		}
		return raw[24:], int(binary.LittleEndian.Uint64(raw[8:]))
	}
	tb.Skip("no zlib-compressed debug file with a large .debug_info (libc6-dbg) is installed")
	return nil, 0
}

func TestLibcDebugInfo(t *testing.T) {
	stream, size := libcDebugInfo(t)
	want, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream[2:])))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewZlibReader(stream, false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(r)
	if err != nil || len(got) != size || !bytes.Equal(got, want) {
		t.Fatalf("%d bytes (%v), want %d", len(got), err, size)
	}
}

func BenchmarkLibcDebugInfo(b *testing.B) {
	stream, size := libcDebugInfo(b)
	out := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		r, _ := NewZlibReader(stream, false)
		if _, err := io.ReadFull(r, out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLibcDebugInfoStd(b *testing.B) {
	stream, size := libcDebugInfo(b)
	out := make([]byte, size)
	b.SetBytes(int64(size))
	for b.Loop() {
		r, _ := zlib.NewReader(bytes.NewReader(stream))
		if _, err := io.ReadFull(r, out); err != nil {
			b.Fatal(err)
		}
	}
}
