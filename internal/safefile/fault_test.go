package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestMappedFileShrinks: a mapped file truncated underneath reads as
// ErrChanged, through ReadAt and through Guard around Bytes, never a
// SIGBUS crash; a fault that is not in a mapped file still panics.
func TestMappedFileShrinks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "core")
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i)
	}
	os.WriteFile(path, data, 0o644)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Map(f)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var b [16]byte
	if _, err := m.ReadAt(b[:], 512<<10); err != nil || b[1] != 1 {
		t.Fatalf("read before the truncation: %v %x", err, b)
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ReadAt(b[:], 100); err != nil {
		t.Errorf("read inside what is left: %v", err)
	}
	_, err = m.ReadAt(b[:], 512<<10)
	var ce *ChangedError
	if !errors.Is(err, ErrChanged) || !errors.As(err, &ce) || ce.Path != path || ce.Addr != 512<<10 {
		t.Errorf("read past the new end: %v, want ErrChanged at %#x", err, 512<<10)
	}
	err = Guard(func() error {
		sink = m.Bytes()[900<<10]
		return nil
	})
	if !errors.Is(err, ErrChanged) {
		t.Errorf("Guard: %v, want ErrChanged", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a nil dereference under Guard was swallowed")
		}
	}()
	Guard(func() error {
		var p *[4]byte
		sink = p[1]
		return nil
	})
}

var sink byte
