package x86

import "testing"

// FuzzCallBefore feeds arbitrary code bytes to the call-site rule and the
// tail-jump follower: any input gives an answer, never a panic, and a call
// found ends exactly at the return address.
func FuzzCallBefore(f *testing.F) {
	f.Add([]byte("\xff\xd0\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x41\xff\x94\xc4\x00\x01\x00\x00"))
	f.Add([]byte("\x49\x89\xc8\x48\x8d\x0d\xf6\xff\xff\xff\xe9\xf1\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, code []byte) {
		const ra = 0x401000
		m := mem{base: ra - uint64(len(code)), b: code}
		if c, ok := CallBefore(m, ra); ok && (c.Addr+uint64(c.Len) != ra || c.Len < minCallLen || c.Len > MaxCallLen) {
			t.Fatalf("call at %#x, %d bytes, does not end at %#x", c.Addr, c.Len, uint64(ra))
		}
		TailJump(mem{base: 0x2000, b: code}, 0x2000)
		ReachesByJumps(mem{base: 0x2000, b: code}, 0x2000, 0x3000)
	})
}
