package coreinput

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
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

// TestSniffWindowPastDecoders: a frame declaring a window no decoder here
// reads (2 GiB, zstd --long=31) is not a core Sniff can see into, as
// Open cannot: the header is not rewritten for it.
func TestSniffWindowPastDecoders(t *testing.T) {
	raw, err := os.ReadFile(testfixture.Get(t, "c-null-call").RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	z := bigWindow(t, raw, false)
	if zstdFHD(z[4]).single() {
		t.Fatal("want a frame with a Window_Descriptor")
	}
	z[5] = (31 - 10) << 3
	if _, _, ok := zstdSniffHeader(z); ok {
		t.Error("zstdSniffHeader rewrote a 2 GiB window")
	}
	p := filepath.Join(t.TempDir(), "core.zst")
	if err := os.WriteFile(p, z, 0o600); err != nil {
		t.Fatal(err)
	}
	const hint = "decompress it with zstd -d --long=31"
	if isCore, _, err := Sniff(p); isCore || !errors.Is(err, ErrUndecodable) || !strings.Contains(fmt.Sprint(err), hint) {
		t.Errorf("Sniff = %v, %v; want a stream that does not decompress, and %q", isCore, err, hint)
	}
	if _, err := Open(p, 0); err == nil || !strings.Contains(err.Error(), hint) {
		t.Errorf("Open: %v; want the 2 GiB window refused, and %q", err, hint)
	}
}

// TestZstdListBounds: idleZstd keeps decoders of small windows up to
// GOMAXPROCS, one of a larger window, none of a stream whose frames it
// did not follow.
func TestZstdListBounds(t *testing.T) {
	var l zstdList
	dec := func() *zstd.Decoder {
		d, err := zstd.NewReader(nil)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	n := runtime.GOMAXPROCS(0)
	for range n + 2 {
		l.put(dec(), 8<<20, true)
	}
	l.put(dec(), 512<<20, true)
	l.put(dec(), 512<<20, true)
	l.put(dec(), 1<<20, false)
	if len(l.small) != n || l.big == nil {
		t.Errorf("kept %d small and big %v; want %d and one", len(l.small), l.big != nil, n)
	}
	// Taken back in that order: the small ones first.
	for range n + 1 {
		if _, _, err := l.get(newRLEAsRaw(bytes.NewReader(nil))); err != nil {
			t.Fatal(err)
		}
	}
	if len(l.small) != 0 || l.big != nil {
		t.Errorf("after %d gets: %d small, big %v", n+1, len(l.small), l.big != nil)
	}
}

// TestRLEWindow: rleAsRaw records the largest window of the frames it
// passes (the list keeps a decoder by it), and says when it could not
// follow them.
func TestRLEWindow(t *testing.T) {
	raw, err := os.ReadFile(testfixture.Get(t, "c-null-call").RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	small := zstdOf(t, raw)
	big := bigWindow(t, raw, false)
	for _, tc := range []struct {
		name     string
		stream   []byte
		window   uint64
		followed bool
	}{
		{"small", small, 0, true},
		{"small then big", append(append([]byte(nil), small...), big...), zstd.MaxWindowSize, true},
		{"not zstd after", append(append([]byte(nil), small...), "not a frame"...), 0, false},
	} {
		z := newRLEAsRaw(bytes.NewReader(tc.stream))
		io.Copy(io.Discard, z)
		w, _ := zstdWindow(small)
		want := tc.window
		if want == 0 {
			want = w
		}
		if z.maxWindow != want || z.followed() != tc.followed {
			t.Errorf("%s: window %d, followed %v; want %d, %v", tc.name, z.maxWindow, z.followed(), want, tc.followed)
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
