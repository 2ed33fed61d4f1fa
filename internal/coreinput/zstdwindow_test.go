package coreinput

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/coreview/coreview/internal/testfixture"
)

// bigWindow returns raw compressed as zstd --long=29 streams it: a frame
// declaring a 512 MiB window (no content size) when single is false, else
// one single-segment frame whose window is its content size, raw padded
// with zeros past 16 MiB.
func bigWindow(t *testing.T, raw []byte, single bool) []byte {
	t.Helper()
	if single {
		raw = append(append([]byte(nil), raw...), make([]byte, 17<<20)...)
		e, err := zstd.NewWriter(nil, zstd.WithSingleSegment(true), zstd.WithWindowSize(zstd.MaxWindowSize))
		if err != nil {
			t.Fatal(err)
		}
		return e.EncodeAll(raw, nil)
	}
	var buf bytes.Buffer
	e, err := zstd.NewWriter(&buf, zstd.WithWindowSize(zstd.MaxWindowSize))
	if err != nil {
		t.Fatal(err)
	}
	e.Write(raw)
	e.Close()
	return buf.Bytes()
}

// allocated is what f allocates, in bytes.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestSniffBigWindow sniffs cores whose zstd frame declares a window past
// the pooled decoders' (zstd --long: 512 MiB, or a single segment's
// content size): the answer is the one a decoder of the declared window
// gives, and no such window is allocated (it was, 512 MiB a file).
func TestSniffBigWindow(t *testing.T) {
	raw, err := os.ReadFile(testfixture.Get(t, "c-null-call").RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, single := range []bool{false, true} {
		z := bigWindow(t, raw, single)
		if w, _ := zstdWindow(z); w <= maxPooledWindow {
			t.Fatalf("single %v: the frame declares a %d-byte window, want more than %d", single, w, maxPooledWindow)
		}
		small, n, ok := zstdSniffHeader(z)
		if !ok {
			t.Fatalf("single %v: zstdSniffHeader refused the header %x", single, z[:18])
		}
		if w, _ := zstdWindow(small); w != maxPooledWindow {
			t.Errorf("single %v: the new header declares %d bytes of window, want %d", single, w, maxPooledWindow)
		}
		want, _ := zstdContentSize(z)
		if got, _ := zstdContentSize(small); got != want {
			t.Errorf("single %v: the new header declares %d bytes of content, the old one %d", single, got, want)
		}
		// The first bytes through the new header, as a decoder of the
		// declared window gives them.
		d, err := zstd.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 4096)
		if _, err := io.ReadFull(d, head); err != nil {
			t.Fatal(err)
		}
		d.Close()
		d, err = zstd.NewReader(io.MultiReader(bytes.NewReader(small), bytes.NewReader(z[n:])), zstd.WithDecoderMaxWindow(maxPooledWindow))
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(head))
		if _, err := io.ReadFull(d, got); err != nil || !bytes.Equal(got, head) {
			t.Errorf("single %v: the first %d bytes through the new header differ (%v)", single, len(head), err)
		}
		d.Close()

		p := filepath.Join(dir, "core.zst")
		if err := os.WriteFile(p, z, 0o600); err != nil {
			t.Fatal(err)
		}
		Sniff(p) // the pool's decoder made
		var isCore bool
		var kind string
		if a := allocated(func() { isCore, kind, err = Sniff(p) }); a > 32<<20 {
			t.Errorf("single %v: Sniff allocated %d MiB", single, a>>20)
		}
		if !isCore || kind != "zstd" || err != nil {
			t.Errorf("single %v: Sniff = %v %q %v, want a zstd core", single, isCore, kind, err)
		}
	}
}

// TestOpenBigWindowTwice opens a core compressed with a 512 MiB window
// twice: the second decompression reuses the first's decoder (idleZstd)
// and its history, and allocates no window of its own.
func TestOpenBigWindowTwice(t *testing.T) {
	raw, err := os.ReadFile(testfixture.Get(t, "c-null-call").RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "core.zst")
	if err := os.WriteFile(p, bigWindow(t, raw, false), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func() {
		c, err := Open(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Size(); got != int64(len(raw)) {
			t.Errorf("decompressed %d bytes, want %d", got, len(raw))
		}
		c.Close()
	}
	open()
	if a := allocated(open); a > 64<<20 {
		t.Errorf("the second Open allocated %d MiB", a>>20)
	}
}
