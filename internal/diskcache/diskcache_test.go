package diskcache

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestPutGet(t *testing.T) {
	c := Open(filepath.Join(t.TempDir(), "coreview"), 0)
	if _, ok := c.Get("k"); ok {
		t.Fatal("hit in an empty cache")
	}
	want := bytes.Repeat([]byte("debug info "), 1000)
	if err := c.Put("k", want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get("k")
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("Get: %v, %d bytes", ok, len(got))
	}
	if _, ok := c.Get("other"); ok {
		t.Error("hit for another key")
	}
}

// TestCorruptDiscarded: an entry with a flipped byte anywhere, cut short,
// or holding another key's data is a miss and is removed, never returned.
func TestCorruptDiscarded(t *testing.T) {
	data := bytes.Repeat([]byte{1, 2, 3, 4, 5}, 400)
	for name, spoil := range map[string]func([]byte) []byte{
		"flipped data byte": func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b },
		"flipped checksum":  func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"flipped magic":     func(b []byte) []byte { b[0] ^= 1; return b },
		"cut":               func(b []byte) []byte { return b[:len(b)-100] },
		"empty":             func(b []byte) []byte { return nil },
		"other key":         func([]byte) []byte { return encode("other", data) },
	} {
		t.Run(name, func(t *testing.T) {
			c := Open(t.TempDir(), 0)
			if err := c.Put("k", data); err != nil {
				t.Fatal(err)
			}
			p := c.path("k")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, spoil(b), 0o600); err != nil {
				t.Fatal(err)
			}
			if got, ok := c.Get("k"); ok {
				t.Fatalf("corrupt entry returned (%d bytes)", len(got))
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("corrupt entry kept: %v", err)
			}
		})
	}
}

// TestTrim: past the cap, the least recently used entries go; a hit
// refreshes an entry; stale temporary files are removed, fresh ones kept.
func TestTrim(t *testing.T) {
	dir := t.TempDir()
	c := Open(dir, 3*1100)
	data := make([]byte, 1000)
	old := time.Now().Add(-time.Hour)
	for i := range 3 {
		if err := c.Put(fmt.Sprint(i), data); err != nil {
			t.Fatal(err)
		}
		when := old.Add(time.Duration(i) * time.Minute)
		os.Chtimes(c.path(fmt.Sprint(i)), when, when)
	}
	if _, ok := c.Get("0"); !ok { // now the most recent
		t.Fatal("entry 0 missing")
	}
	stale := filepath.Join(dir, tmpPrefix+"stale")
	fresh := filepath.Join(dir, tmpPrefix+"fresh")
	os.WriteFile(stale, nil, 0o600)
	os.WriteFile(fresh, nil, 0o600)
	os.Chtimes(stale, old.Add(-time.Hour), old.Add(-time.Hour))
	if err := c.Put("3", data); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]bool{"0": true, "1": false, "2": true, "3": true} {
		if _, err := os.Stat(c.path(k)); (err == nil) != want {
			t.Errorf("entry %s: present %v, want %v", k, err == nil, want)
		}
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temporary file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a writer's fresh temporary file removed")
	}
}

// TestConcurrentPut: processes writing and reading one key at once see a
// whole entry or none.
func TestConcurrentPut(t *testing.T) {
	c := Open(t.TempDir(), 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := bytes.Repeat([]byte{byte(i)}, 200_000)
			for range 20 {
				if err := c.Put("k", data); err != nil {
					t.Error(err)
					return
				}
				if got, ok := c.Get("k"); ok && !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
					t.Error("mixed entry")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNilAndDir(t *testing.T) {
	var c *Cache
	if err := c.Put("k", []byte{1}); err != nil {
		t.Error(err)
	}
	if _, ok := c.Get("k"); ok {
		t.Error("nil cache hit")
	}
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if d := Dir(); d != "/x/cache/coreview" {
		t.Errorf("Dir %q", d)
	}
	t.Setenv("XDG_CACHE_HOME", "relative") // not absolute: ignored (XDG)
	t.Setenv("HOME", "/home/u")
	if d := Dir(); d != "/home/u/.cache/coreview" {
		t.Errorf("Dir %q", d)
	}
}

// TestPutStream: an entry written as it is produced reads back as Put's
// would; a fill that writes other than the bytes announced stores nothing.
func TestPutStream(t *testing.T) {
	c := Open(t.TempDir(), 0)
	want := bytes.Repeat([]byte("0123456789"), 20000)
	fill := func(w io.Writer) error {
		for i := 0; i < len(want); i += 7000 {
			if _, err := w.Write(want[i:min(i+7000, len(want))]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := c.PutStream("k", int64(len(want)), fill); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Get("k"); !ok || !bytes.Equal(got, want) {
		t.Fatalf("Get after PutStream: %v, %d bytes", ok, len(got))
	}
	if err := c.PutStream("short", int64(len(want))+1, fill); err == nil {
		t.Error("a short fill stored")
	}
	if _, ok := c.Get("short"); ok {
		t.Error("a short fill is readable")
	}
}
