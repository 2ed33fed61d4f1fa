package x86

import (
	"encoding/hex"
	"testing"
)

type bytesAt struct {
	base uint64
	b    []byte
}

func (m bytesAt) ReadAt(p []byte, addr uint64) (int, error) {
	if addr < m.base || addr-m.base >= uint64(len(m.b)) {
		return 0, errShort
	}
	return copy(p, m.b[addr-m.base:]), nil
}

type shortErr struct{}

func (shortErr) Error() string { return "short read" }

var errShort = shortErr{}

// A hand-assembled function, as objdump -d -M intel decodes it:
//
//	1000: 55                push   rbp
//	1001: 48 89 e5          mov    rbp,rsp
//	1004: 48 8d 5c 24 20    lea    rbx,[rsp+0x20]
//	1009: 48 8b 07          mov    rax,QWORD PTR [rdi]
//	100c: 0f 0b             ud2
//	100e: c3                ret
var fn = mustHex("554889e5488d5c2420488b070f0bc3")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestListing(t *testing.T) {
	mem := bytesAt{0x1000, fn}
	for _, tc := range []struct {
		name          string
		start, pc     uint64
		before, after int
		want          []uint64 // addresses listed
		current       uint64
		ok            bool
	}{
		{"middle", 0x1000, 0x1009, 2, 1, []uint64{0x1001, 0x1004, 0x1009, 0x100c}, 0x1009, true},
		{"at start", 0x1000, 0x1000, 8, 0, []uint64{0x1000}, 0x1000, true},
		{"code ends", 0x1000, 0x100c, 1, 4, []uint64{0x1009, 0x100c, 0x100e}, 0x100c, true},
		{"pc inside an instruction", 0x1000, 0x1006, 2, 1, nil, 0, false},
		{"start after pc", 0x1004, 0x1000, 2, 1, nil, 0, false},
		{"unreadable", 0x2000, 0x2004, 2, 1, nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Listing(mem, tc.start, tc.pc, tc.before, tc.after, nil)
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v (%+v)", ok, tc.ok, got)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d lines %+v, want %d", len(got), got, len(tc.want))
			}
			for i, l := range got {
				if l.Addr != tc.want[i] || l.Current != (l.Addr == tc.current) {
					t.Errorf("line %d: %#x current %v", i, l.Addr, l.Current)
				}
			}
		})
	}
	got, _ := Listing(mem, 0x1000, 0x1004, 0, 1, nil)
	if got[0].Text != "lea rbx, [rsp+0x20]" || got[1].Text != "mov rax, qword ptr [rdi]" {
		t.Errorf("text %q, %q", got[0].Text, got[1].Text)
	}
}
