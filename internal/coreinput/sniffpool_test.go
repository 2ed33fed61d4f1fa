package coreinput

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// freshSniff is Sniff with a new decoder every time, as it was before
// sniffZstd.
func freshSniff(path string) (bool, string, error) {
	return sniff(path, freshDecompressor)
}

// samePooled checks that Sniff, with whatever decoders the pool holds,
// says of data what a new decoder says.
func samePooled(t *testing.T, dir string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ok1, c1, err1 := Sniff(p)
	ok2, c2, err2 := freshSniff(p)
	if ok1 != ok2 || c1 != c2 || (err1 == nil) != (err2 == nil) {
		t.Fatalf("pooled Sniff: %v %q %v; a new decoder's: %v %q %v (%d bytes starting %x)", ok1, c1, err1, ok2, c2, err2, len(data), data[:min(len(data), 16)])
	}
}

// TestSniffPooled sniffs the zstd fixtures, cut short, corrupted and mixed
// with streams that are not cores, in an order that leaves the pooled
// decoders after every kind of failure: each answer is a new decoder's.
func TestSniffPooled(t *testing.T) {
	zsts, _ := filepath.Glob("../../testdata/cores/*/core.zst")
	if len(zsts) < 3 {
		t.Fatalf("want the zstd fixtures, found %v", zsts)
	}
	var inputs [][]byte
	for _, z := range zsts {
		b, err := os.ReadFile(z)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b, b[:min(len(b), 100)], b[:min(len(b), 13)])
	}
	rng := rand.New(rand.NewSource(1))
	for i := range 200 {
		b := append([]byte(nil), inputs[rng.Intn(len(inputs))]...)
		for k := 0; k < 1+rng.Intn(4); k++ {
			if at := 5 + rng.Intn(max(1, min(len(b), 400)-5)); at < len(b) {
				b[at] ^= byte(1 + rng.Intn(255))
			}
		}
		inputs = append(inputs, b)
		if i%7 == 0 {
			inputs = append(inputs, zstdOf(t, bytes.Repeat([]byte("not a core "), 1+rng.Intn(5000))))
		}
	}
	dir := t.TempDir()
	for _, k := range rng.Perm(len(inputs)) {
		samePooled(t, dir, inputs[k])
	}
}

// FuzzSniffPooled: after Sniff of a, Sniff of b is what a new decoder says.
func FuzzSniffPooled(f *testing.F) {
	zsts, _ := filepath.Glob("../../testdata/cores/*/core.zst")
	for _, z := range zsts {
		if b, err := os.ReadFile(z); err == nil {
			f.Add(b[:min(len(b), 600)], b[:min(len(b), 300)])
		}
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		dir := t.TempDir()
		for _, d := range [][]byte{a, b} {
			if len(d) > 4 {
				d = append([]byte{0x28, 0xb5, 0x2f, 0xfd}, d[4:]...) // zstd's magic
			}
			samePooled(t, dir, d)
		}
	})
}

func zstdOf(t *testing.T, data []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(data, nil)
}

// TestZstdWindow reads the window from Window_Descriptor (RFC 8878,
// 3.1.1.1.2: 2^(10+Exponent), plus Mantissa eighths) and from the content
// size in a single segment; the c-threads fixture's is the 8 MiB the zstd
// tool lists (zstd -lv).
func TestZstdWindow(t *testing.T) {
	magic := []byte{0x28, 0xb5, 0x2f, 0xfd}
	for _, c := range []struct {
		rest []byte
		want uint64
		ok   bool
	}{
		{[]byte{0x00, 0x00}, 1 << 10, true},
		{[]byte{0x00, 0x38}, 1 << 17, true},
		{[]byte{0x00, 0x39}, 1<<17 + 1<<14, true},
		{[]byte{0x00, 0xff}, 1<<41 + 7<<38, true},
		{[]byte{0x20, 200}, 200, true}, // single segment, 1-byte content size
		{[]byte{0x00}, 0, false},
	} {
		got, ok := zstdWindow(append(append([]byte(nil), magic...), c.rest...))
		if got != c.want || ok != c.ok {
			t.Errorf("header %x: window %d, %v; want %d, %v", c.rest, got, ok, c.want, c.ok)
		}
	}
	b, err := os.ReadFile("../../testdata/cores/c-threads/core.zst")
	if err != nil {
		t.Fatal(err)
	}
	if w, ok := zstdWindow(b); w != 8<<20 || !ok {
		t.Errorf("c-threads fixture: window %d, %v; want 8 MiB", w, ok)
	}
}

// TestSniffPooledLaterWindow: the first frame's window is small, the
// second's 512 MiB, and the 64 bytes read reach into it: the pooled
// decoder refuses that window (it would keep a history of its size), and
// Sniff reads the file again with a new decoder, which says what one says.
func TestSniffPooledLaterWindow(t *testing.T) {
	magic := []byte{0x28, 0xb5, 0x2f, 0xfd}
	var b []byte
	b = append(b, magic...)
	b = append(b, 0x00, 0x00)       // FHD: nothing but a window; 1 KiB
	b = append(b, 0x01, 0x00, 0x00) // the last block: Raw, empty
	b = append(b, magic...)
	b = append(b, 0x00, 0x98)       // window 2^29: 512 MiB
	b = append(b, 0x01, 0x02, 0x00) // the last block: Raw, 64 bytes
	elf := make([]byte, 64)
	copy(elf, "\x7fELF\x02\x01\x01")
	elf[16], elf[17] = 4, 0 // ET_CORE
	b = append(b, elf...)
	p := filepath.Join(t.TempDir(), "core.zst")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sniff(p, sniffDecompressor); err != errPooledWindow {
		t.Errorf("pooled decoder on a later 512 MiB window: %v, want errPooledWindow", err)
	}
	idleZstd.mu.Lock()
	if idleZstd.big != nil { // an earlier test's: the slot is free, so a leak shows
		idleZstd.big.Close()
		idleZstd.big = nil
	}
	idleZstd.mu.Unlock()
	ok, c, err := Sniff(p)
	ok2, c2, err2 := freshSniff(p)
	if !ok || c != "zstd" || err != nil || ok2 != ok || c2 != c || err2 != nil {
		t.Errorf("Sniff: %v %q %v; a new decoder's: %v %q %v; want a zstd core", ok, c, err, ok2, c2, err2)
	}
	// Neither kept the 512 MiB window for the decompressions after.
	idleZstd.mu.Lock()
	defer idleZstd.mu.Unlock()
	if idleZstd.big != nil {
		t.Error("Sniff left its 512 MiB decoder in idleZstd")
	}
}
