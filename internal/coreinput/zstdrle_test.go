package coreinput

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// decodeZstd decodes b as decompressor does, through rleAsRaw or not,
// and returns what it gave and whether it ended in an error.
func decodeZstd(t testing.TB, b []byte, viaRaw bool) ([]byte, bool) {
	var r io.Reader = bytes.NewReader(b)
	if viaRaw {
		r = newRLEAsRaw(r)
	}
	d, err := zstd.NewReader(r, zstd.WithDecoderMaxMemory(1<<30), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, true
	}
	defer d.Close()
	var out bytes.Buffer
	_, err = io.Copy(&out, io.LimitReader(d, 64<<20))
	return out.Bytes(), err != nil
}

// sparse is bytes like a core's: runs of zeros, of another byte, and
// data, n times.
func sparse(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.Write(make([]byte, 300<<10))
		b.Write(bytes.Repeat([]byte{0xcc}, 200<<10))
		for k := 0; k < 5000; k++ {
			b.WriteByte(byte(k*k + i))
		}
	}
	return b.Bytes()
}

// zstdStreams are streams as libzstd (the zstd tool: what
// systemd-coredump links) and klauspost's encoder write them: with and
// without a checksum, two frames, a skippable frame between.
func zstdStreams(t *testing.T, data []byte) map[string][]byte {
	streams := map[string][]byte{}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	streams["klauspost"] = enc.EncodeAll(data, nil)
	if _, err := exec.LookPath("zstd"); err == nil {
		dir := t.TempDir()
		in := filepath.Join(dir, "core")
		if err := os.WriteFile(in, data, 0o600); err != nil {
			t.Fatal(err)
		}
		for name, args := range map[string][]string{"zstd": {"-q", "-c"}, "zstd --no-check": {"-q", "-c", "--no-check"}, "zstd -19": {"-q", "-c", "-19"}} {
			out, err := exec.Command("zstd", append(args, in)...).Output()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			streams[name] = out
		}
		skippable := []byte{0x5e, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3}
		streams["two frames, a skippable one between"] = append(append(append([]byte(nil), streams["zstd"]...), skippable...), streams["zstd --no-check"]...)
	} else if os.Getenv("COREVIEW_REQUIRE_TOOLS") != "" {
		t.Fatal("zstd is not installed")
	}
	return streams
}

// TestRLEAsRaw: through rleAsRaw, a stream decodes to the same bytes, and
// the RLE blocks libzstd writes for runs of one byte reach the decoder as
// Raw blocks.
func TestRLEAsRaw(t *testing.T) {
	want := sparse(12)
	for name, b := range zstdStreams(t, want) {
		direct, derr := decodeZstd(t, b, false)
		via, verr := decodeZstd(t, b, true)
		if derr || verr {
			t.Errorf("%s: errors: direct %v, through rleAsRaw %v", name, derr, verr)
		}
		if !bytes.Equal(via, direct) {
			t.Errorf("%s: %d bytes through rleAsRaw, %d direct: not the same bytes", name, len(via), len(direct))
		}
		if n := len(want); name != "two frames, a skippable one between" && !bytes.Equal(direct, want) || name == "two frames, a skippable one between" && len(direct) != 2*n {
			t.Errorf("%s: decodes to %d bytes, want the data", name, len(direct))
		}
		if name == "zstd" {
			raw, _ := io.ReadAll(newRLEAsRaw(bytes.NewReader(b)))
			if len(raw) < len(b)+1<<20 {
				t.Errorf("%s: rleAsRaw gave %d bytes for %d: the RLE blocks were not made Raw", name, len(raw), len(b))
			}
		}
	}
}

// TestRLEAsRawCut: a stream cut anywhere decodes through rleAsRaw to what
// it decodes to directly, and fails alike.
func TestRLEAsRawCut(t *testing.T) {
	streams := zstdStreams(t, sparse(1))
	for name, b := range streams {
		// Every byte of the first 600 (frame and block headers, the
		// first blocks), then 300 cuts spread over the rest.
		step := 1
		for cut := 0; cut <= len(b); cut += step {
			if cut >= 600 {
				step = max(1, len(b)/300)
			}
			direct, derr := decodeZstd(t, b[:cut], false)
			via, verr := decodeZstd(t, b[:cut], true)
			if derr != verr || !bytes.Equal(direct, via) {
				t.Fatalf("%s cut at %d of %d: direct gave %d bytes (error %v), through rleAsRaw %d (error %v)", name, cut, len(b), len(direct), derr, len(via), verr)
			}
		}
	}
}

// TestRLEAsRawFixture: the c-threads fixture (61 threads, 473 MB of core
// in 44 KB of zstd) decodes through rleAsRaw to the bytes the zstd tool
// gives.
func TestRLEAsRawFixture(t *testing.T) {
	b, err := os.ReadFile("../../testdata/cores/c-threads/core.zst")
	if err != nil {
		t.Fatal(err)
	}
	d, err := zstd.NewReader(newRLEAsRaw(bytes.NewReader(b)), zstd.WithDecoderMaxMemory(1<<30), zstd.WithDecoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	via := sha(t, d)
	d2, _ := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderMaxMemory(1<<30), zstd.WithDecoderConcurrency(1))
	defer d2.Close()
	if direct := sha(t, d2); via != direct {
		t.Errorf("through rleAsRaw %s, direct %s", via, direct)
	}
}

func sha(t *testing.T, r io.Reader) string {
	t.Helper()
	h := newHash()
	if _, err := io.Copy(h, r); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return h.String()
}

// FuzzZstdRLE: whatever the bytes, decoding through rleAsRaw gives what
// decoding them directly gives, and fails alike.
func FuzzZstdRLE(f *testing.F) {
	enc, _ := zstd.NewWriter(nil)
	f.Add(enc.EncodeAll(make([]byte, 300<<10), nil))
	f.Add(enc.EncodeAll([]byte("core"), nil))
	// A frame of one RLE block of 16 zeros, and of one too large.
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 16, 0x83, 0x00, 0x00, 0x00})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x03, 0x00, 0x20, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		direct, derr := decodeZstd(t, b, false)
		via, verr := decodeZstd(t, b, true)
		if derr != verr || !bytes.Equal(direct, via) {
			t.Fatalf("direct gave %d bytes (error %v), through rleAsRaw %d (error %v)", len(direct), derr, len(via), verr)
		}
	})
}

type hashWriter struct{ h hash.Hash }

func newHash() *hashWriter                        { return &hashWriter{sha256.New()} }
func (w *hashWriter) Write(p []byte) (int, error) { return w.h.Write(p) }
func (w *hashWriter) String() string              { return hex.EncodeToString(w.h.Sum(nil)) }
