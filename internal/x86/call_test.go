package x86

import (
	"encoding/binary"
	"errors"
	"testing"
)

// mem is a byte-addressed memory: one region starting at base.
type mem struct {
	base uint64
	b    []byte
}

func (m mem) ReadAt(p []byte, addr uint64) (int, error) {
	if addr < m.base || addr-m.base > uint64(len(m.b)) {
		return 0, errors.New("unmapped")
	}
	n := copy(p, m.b[addr-m.base:])
	if n < len(p) {
		return n, errors.New("unmapped")
	}
	return n, nil
}

// before returns a memory in which code ends at ra: three int3 bytes (cc,
// which never extend an instruction) and then code.
func before(code string, ra uint64) mem {
	b := append([]byte("\xcc\xcc\xcc"), code...)
	return mem{base: ra - uint64(len(b)), b: b}
}

// TestCallBefore pins the one call-site rule on named byte cases. The
// decodings are objdump -d -M intel's.
func TestCallBefore(t *testing.T) {
	const ra = 0x401000
	tests := []struct {
		name   string
		code   string // the bytes just before ra
		want   bool
		len    int
		direct bool
		target uint64
	}{
		{"e8 rel32: call 0x400ff0", "\xe8\xf0\xff\xff\xff", true, 5, true, 0x400ff0},
		{"e8 rel32 forward: call 0x401100", "\xe8\x00\x01\x00\x00", true, 5, true, 0x401100},
		{"bnd call rel32 (f2 e8)", "\xf2\xe8\x00\x01\x00\x00", true, 6, true, 0x401100},
		{"ff d0: call rax", "\xff\xd0", true, 2, false, 0},
		{"41 ff d0: call r8 (REX.B)", "\x41\xff\xd0", true, 3, false, 0},
		{"ff 10: call [rax]", "\xff\x10", true, 2, false, 0},
		{"ff 50 08: call [rax+0x8]", "\xff\x50\x08", true, 3, false, 0},
		{"ff 54 24 08: call [rsp+0x8] (SIB)", "\xff\x54\x24\x08", true, 4, false, 0},
		{"41 ff 54 24 08: call [r12+0x8] (REX.B, SIB)", "\x41\xff\x54\x24\x08", true, 5, false, 0},
		{"ff 93 disp32: call [rbx+0x100]", "\xff\x93\x00\x01\x00\x00", true, 6, false, 0},
		{"ff 15 disp32: call [rip+0x200]", "\xff\x15\x00\x02\x00\x00", true, 6, false, 0},
		{"ff 94 d8 disp32: call [rax+rbx*8+0x12345]", "\xff\x94\xd8\x45\x23\x01\x00", true, 7, false, 0},
		{"ff 14 25 abs32: call ds:0x601000", "\xff\x14\x25\x00\x10\x60\x00", true, 7, false, 0},
		{"41 ff 94 c4 disp32: call [r12+rax*8+0x100] (8 bytes)", "\x41\xff\x94\xc4\x00\x01\x00\x00", true, 8, false, 0},
		{"3e ff d0: notrack call rax", "\x3e\xff\xd0", true, 3, false, 0},
		{"call rax after mov rax,[rbp-8]", "\x48\x8b\x45\xf8\xff\xd0", true, 2, false, 0},

		// Look-alikes: bytes a loose pattern match takes for a call.
		{"ff d0 then five zero bytes: call rax ends 5 bytes early", "\xff\xd0\x00\x00\x00\x00\x00", false, 0, false, 0},
		{"ff 15 with a cut displacement", "\xff\x15\x00\x02\x00", false, 0, false, 0},
		{"ff e0: jmp rax (ff /4)", "\xff\xe0", false, 0, false, 0},
		{"ff 18: call far [rax] (ff /3)", "\xff\x18", false, 0, false, 0},
		{"e8 not 5 bytes before: e8 then 5 bytes", "\xe8\x00\x01\x00\x00\x90", false, 0, false, 0},
		{"ret", "\xc3", false, 0, false, 0},
		{"syscall", "\x0f\x05", false, 0, false, 0},
		{"int3 only", "", false, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := CallBefore(before(tt.code, ra), ra)
			if ok != tt.want {
				t.Fatalf("CallBefore = %v, want %v (decoded %v, %d bytes)", ok, tt.want, c.Inst, c.Len)
			}
			if !ok {
				return
			}
			if c.Len != tt.len || c.Addr != ra-uint64(tt.len) || c.Direct != tt.direct || c.Target != tt.target {
				t.Errorf("got len %d addr %#x direct %v target %#x, want len %d direct %v target %#x",
					c.Len, c.Addr, c.Direct, c.Target, tt.len, tt.direct, tt.target)
			}
		})
	}
}

// TestCallBeforeEdges: a return address near the start of memory or of a
// mapping still gets the windows that can be read, and nothing reads below
// address 0.
func TestCallBeforeEdges(t *testing.T) {
	if _, ok := CallBefore(mem{base: 0, b: []byte("\xff\xd0")}, 2); !ok {
		t.Error("call rax at address 0: not found")
	}
	if _, ok := CallBefore(mem{base: 0, b: []byte("\xff")}, 1); ok {
		t.Error("1 byte before ra: found a call")
	}
	// The mapping starts 3 bytes before ra: the 8-byte window is not
	// readable, the 3-byte one is.
	if c, ok := CallBefore(mem{base: 0x1000, b: []byte("\x41\xff\xd0")}, 0x1003); !ok || c.Len != 3 {
		t.Errorf("call r8 at a mapping's start: %v %d", ok, c.Len)
	}
	if _, ok := CallBefore(mem{}, 0x1000); ok {
		t.Error("unreadable memory: found a call")
	}
}

// TestTailJump follows wrappers and PLT entries to the function they jump
// to.
func TestTailJump(t *testing.T) {
	const pc = 0x2000
	got := make([]byte, 8)
	binary.LittleEndian.PutUint64(got, 0x7f0000401000)
	tests := []struct {
		name   string
		code   string
		want   bool
		target uint64
	}{
		// musl 1.2 src/stdlib/qsort_nr.c, as objdump -dr decodes
		// qsort_nr.lo (relocations applied by hand):
		//   0: 49 89 c8              mov r8,rcx
		//   3: 48 8d 0d f6 ff ff ff  lea rcx,[rip-0xa]  # wrapper_cmp
		//   a: e9 f1 00 00 00        jmp 0x2100         # __qsort_r
		{"musl qsort: mov, lea, jmp __qsort_r", "\x49\x89\xc8\x48\x8d\x0d\xf6\xff\xff\xff\xe9\xf1\x00\x00\x00", true, 0x2100},
		{"jmp rel8", "\xeb\x10", true, 0x2012},
		// .plt.sec: endbr64; bnd jmp [rip+0xff5] (the GOT slot at 0x3000).
		{"IBT PLT entry", "\xf3\x0f\x1e\xfa\xf2\xff\x25\xf5\x0f\x00\x00", true, 0x7f0000401000},
		// .plt: jmp [rip+0xffa]; push 0; jmp .plt
		{"lazy PLT entry", "\xff\x25\xfa\x0f\x00\x00\x68\x00\x00\x00\x00", true, 0x7f0000401000},
		{"jmp rax: unknown target", "\xff\xe0", false, 0},
		{"ret first", "\x48\x89\xc8\xc3", false, 0},
		{"call first", "\xe8\x00\x00\x00\x00\xe9\x00\x00\x00\x00", false, 0},
		{"conditional branch first", "\x74\x02\xeb\x10", false, 0},
		{"too long before the jmp", "\x90\x90\x90\x90\x90\x90\x90\x90\x90\xeb\x10", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, 0x1008)
			copy(b, tt.code)
			copy(b[0x1000:], got)
			target, ok := TailJump(mem{base: pc, b: b}, pc)
			if ok != tt.want || target != tt.target {
				t.Errorf("TailJump = %#x, %v; want %#x, %v", target, ok, tt.target, tt.want)
			}
		})
	}
}

// TestReachesByJumps: a call to a PLT entry whose GOT slot holds a
// wrapper that tail-jumps reaches the wrapped function; a cycle of jumps
// ends.
func TestReachesByJumps(t *testing.T) {
	b := make([]byte, 0x1010)
	copy(b, "\xff\x25\xfa\x0f\x00\x00")                 // 0x2000: jmp [rip+0xffa] (GOT slot 0x3000)
	copy(b[0x100:], "\x49\x89\xc8\xe9\xf8\x00\x00\x00") // 0x2100: mov r8,rcx; jmp 0x2200
	copy(b[0x400:], "\xeb\xfe")                         // 0x2400: jmp 0x2400
	binary.LittleEndian.PutUint64(b[0x1000:], 0x2100)
	m := mem{base: 0x2000, b: b}
	if !ReachesByJumps(m, 0x2000, 0x2200) {
		t.Error("PLT -> wrapper -> function: not reached")
	}
	if !ReachesByJumps(m, 0x2200, 0x2200) {
		t.Error("the function itself: not reached")
	}
	if ReachesByJumps(m, 0x2000, 0x2300) {
		t.Error("reached a function nothing jumps to")
	}
	if ReachesByJumps(m, 0x2400, 0x2500) {
		t.Error("a jump to itself reached another function")
	}
}

// TestDecodeTruncatedEVEX: bytes on which x86asm.Decode panics give an
// error.
func TestDecodeTruncatedEVEX(t *testing.T) {
	if _, err := Decode([]byte("\x62\x30\x30\x30")); err == nil {
		t.Error("62 30 30 30 decoded")
	}
	if _, ok := CallEndingAt([]byte("\x62\x30\x30\x30"), 0x1000); ok {
		t.Error("62 30 30 30 is a call")
	}
}
