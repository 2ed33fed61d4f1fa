package corefile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestReadCString: strings that end in the first read, after several, cut
// at max, and running into the end of the mapping.
func TestReadCString(t *testing.T) {
	const vaddr = 0x10000
	data := make([]byte, 4096)
	long := strings.Repeat("x", 200)
	copy(data, "short\x00")
	copy(data[0x100:], long+"\x00")
	copy(data[len(data)-10:], "unended!!!") // no NUL before the mapping ends
	img := synthCore([]synthNote{{"CORE", NT_PRSTATUS, prstatus(1, 0, vaddr)}},
		[]synthLoad{{vaddr: vaddr, memsz: uint64(len(data)), flags: 6, data: data}})
	c, err := NewFile(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	mem := c.Memory(nil)
	for _, tt := range []struct {
		name     string
		addr     uint64
		max      int
		want     string
		unmapped bool
	}{
		{"in the first chunk", vaddr, 100, "short", false},
		{"empty", vaddr + 5, 100, "", false},
		{"over several chunks", vaddr + 0x100, 1000, long, false},
		{"cut at max", vaddr + 0x100, 70, long[:70], false},
		{"NUL just past max", vaddr + 0x100, 200, long, false},
		{"to the mapping's end", vaddr + uint64(len(data)) - 10, 100, "unended!!!", true},
		{"unmapped", 0x1000, 100, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mem.ReadCString(tt.addr, tt.max)
			if got != tt.want {
				t.Errorf("ReadCString(%#x, %d) = %q, want %q", tt.addr, tt.max, got, tt.want)
			}
			var me *MemoryError
			if isUnmapped := errors.As(err, &me) && me.Reason == NotMapped; isUnmapped != tt.unmapped || (err != nil && !tt.unmapped) {
				t.Errorf("ReadCString(%#x, %d): error %v, want unmapped %v", tt.addr, tt.max, err, tt.unmapped)
			}
		})
	}
}
