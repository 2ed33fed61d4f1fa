package corefile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/internal/safefile"
)

// TestCoreShrinksWhileRead: a core truncated after it was opened (and
// mapped) gives read errors wrapping safefile.ErrChanged and Changed says
// so; before, the read raised SIGBUS and killed the process.
func TestCoreShrinksWhileRead(t *testing.T) {
	path, c := openStackCore(t, 1<<20, 0x7ffc00080000)
	defer c.Close()
	mem := c.Memory(nil)
	if _, err := mem.ReadUint64(0x7ffc00080000); err != nil {
		t.Fatal(err)
	}
	if c.Changed() != nil {
		t.Fatalf("changed before anything changed: %v", c.Changed())
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	_, err := mem.ReadUint64(0x7ffc00080000)
	if !errors.Is(err, safefile.ErrChanged) {
		t.Errorf("read after the truncation: %v, want ErrChanged", err)
	}
	if err := c.Changed(); !errors.Is(err, safefile.ErrChanged) {
		t.Errorf("Changed() = %v", err)
	}
}

// TestClosedCoreNotRead: after Close, ReadUint64 does not read the window
// it kept into the unmapped core (a fault, not an error), it fails as
// ReadAt does.
func TestClosedCoreNotRead(t *testing.T) {
	_, c := openStackCore(t, 1<<16, 0x7ffc00008000)
	mem := c.Memory(nil)
	for _, a := range []uint64{0x7ffc00008000, 0x7ffc00008008} { // the second from the window
		if v, err := mem.ReadUint64(a); err != nil || v != 0xabababababababab {
			t.Fatalf("%#x: %#x, %v", a, v, err)
		}
	}
	c.Close()
	if _, err := mem.ReadUint64(0x7ffc00008010); err == nil {
		t.Error("read the closed core")
	}
}

// openStackCore writes a core of one thread whose sp is sp and one
// stack mapping of size bytes of 0xab at 0x7ffc00000000, and opens it.
func openStackCore(t *testing.T, size int, sp uint64) (string, *File) {
	t.Helper()
	img := synthCore([]synthNote{{"CORE", NT_PRSTATUS, prstatus(1, 0x401000, sp)}},
		[]synthLoad{{vaddr: 0x7ffc00000000, memsz: uint64(size), flags: 6, data: bytes.Repeat([]byte{0xab}, size)}})
	path := filepath.Join(t.TempDir(), "core")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, c
}
