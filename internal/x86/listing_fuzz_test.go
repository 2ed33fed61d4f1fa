package x86

import "testing"

// FuzzListing lists arbitrary bytes as code from their start to every PC
// in them: no panic, the current instruction (when listed) is the PC's,
// and the listing covers only the bytes given.
func FuzzListing(f *testing.F) {
	f.Add(fn, uint16(9))
	f.Fuzz(func(t *testing.T, code []byte, at uint16) {
		if len(code) == 0 {
			return
		}
		pc := 0x1000 + uint64(int(at)%len(code))
		lines, ok := Listing(bytesAt{0x1000, code}, 0x1000, pc, 8, 4, nil)
		if !ok {
			return
		}
		cur := 0
		for _, l := range lines {
			if l.Addr < 0x1000 || l.Addr-0x1000+uint64(len(l.Bytes)) > uint64(len(code)) {
				t.Fatalf("line %+v outside the code", l)
			}
			if l.Current {
				cur++
				if l.Addr != pc {
					t.Fatalf("current at %#x, pc %#x", l.Addr, pc)
				}
			}
		}
		if cur != 1 {
			t.Fatalf("%d current lines", cur)
		}
	})
}
