package x86

import (
	"encoding/binary"

	"golang.org/x/arch/x86/x86asm"
)

// MaxTailJumpInsns is how many instructions TailJump decodes before it
// gives up: a PLT entry jumps at once (after endbr64 and bnd), a wrapper
// such as musl's qsort moves a few arguments and then jumps.
const MaxTailJumpInsns = 8

// TailJump follows the straight-line code at pc to its first jump and
// returns where that jump goes: the target of jmp rel8/rel32, or the word
// a jmp qword ptr [rip+disp32] loads (a PLT entry's GOT slot, read through
// mem). It fails on any other control transfer first (a call, a return, a
// conditional branch: the code does not always reach the jump), on a jump
// through a register, and after MaxTailJumpInsns instructions.
func TailJump(mem Reader, pc uint64) (uint64, bool) {
	var b [MaxTailJumpInsns * 15]byte
	n, _ := mem.ReadAt(b[:], pc)
	code := b[:n]
	off := 0
	for i := 0; i < MaxTailJumpInsns && off < len(code); i++ {
		if len(code)-off >= 4 && string(code[off:off+4]) == "\xf3\x0f\x1e\xfa" { // endbr64
			off += 4
			continue
		}
		inst, err := Decode(code[off:])
		if err != nil {
			return 0, false
		}
		next := pc + uint64(off+inst.Len)
		switch inst.Op {
		case x86asm.JMP:
			switch a := inst.Args[0].(type) {
			case x86asm.Rel:
				return next + uint64(int64(a)), true
			case x86asm.Mem:
				if a.Base != x86asm.RIP || a.Index != 0 || a.Segment != 0 {
					return 0, false
				}
				var slot [8]byte
				if _, err := mem.ReadAt(slot[:], next+uint64(int64(int32(a.Disp)))); err != nil {
					return 0, false
				}
				return binary.LittleEndian.Uint64(slot[:]), true
			}
			return 0, false
		case x86asm.CALL, x86asm.LCALL, x86asm.RET, x86asm.LRET, x86asm.LJMP, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ,
			x86asm.SYSCALL, x86asm.SYSRET, x86asm.INT, x86asm.UD1, x86asm.UD2, x86asm.HLT,
			x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE, x86asm.JCXZ, x86asm.JECXZ, x86asm.JRCXZ:
			return 0, false
		}
		if isJcc(inst.Op) {
			return 0, false
		}
		off += inst.Len
	}
	return 0, false
}

func isJcc(op x86asm.Op) bool {
	switch op {
	case x86asm.JA, x86asm.JAE, x86asm.JB, x86asm.JBE, x86asm.JE, x86asm.JG, x86asm.JGE, x86asm.JL, x86asm.JLE,
		x86asm.JNE, x86asm.JNO, x86asm.JNP, x86asm.JNS, x86asm.JO, x86asm.JP, x86asm.JS:
		return true
	}
	return false
}

// maxJumpHops bounds how many jumps ReachesByJumps follows: a PLT entry,
// then a wrapper's tail jump.
const maxJumpHops = 3

// ReachesByJumps reports whether code entered at from reaches to through
// at most a few tail jumps (TailJump): a direct call to a PLT entry or to
// a wrapper that ends in jmp lands in the function at to, so a frame of
// that function was called from the call that targeted from.
func ReachesByJumps(mem Reader, from, to uint64) bool {
	for hop := 0; hop <= maxJumpHops; hop++ {
		if from == to {
			return true
		}
		next, ok := TailJump(mem, from)
		if !ok {
			return false
		}
		from = next
	}
	return false
}
