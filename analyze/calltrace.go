package analyze

import (
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/x86"
)

// traceWindow is how far before a `call reg` the loader of reg is looked
// for: compilers put the load right before the call (LLVM's
// `mov rax, [rip+X]; call rax` through a GOT slot, gcc's null check
// `mov rax, [rip+hook]; test rax, rax; je …; call rax`).
const traceWindow = 64

// regFamily returns the 64-bit register that r is part of (al, ax, eax and
// rax are all rax), or 0 for other registers.
func regFamily(r x86asm.Reg) x86asm.Reg {
	switch {
	case r >= x86asm.RAX && r <= x86asm.R15:
		return r
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return x86asm.RAX + (r - x86asm.EAX)
	case r >= x86asm.AX && r <= x86asm.R15W:
		return x86asm.RAX + (r - x86asm.AX)
	case r >= x86asm.AL && r <= x86asm.BL:
		return x86asm.RAX + (r - x86asm.AL)
	case r >= x86asm.AH && r <= x86asm.BH: // ah, ch, dh, bh
		return x86asm.RAX + (r - x86asm.AH)
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return x86asm.RSP + (r - x86asm.SPB)
	}
	return 0
}

// writesReg reports whether inst writes register family r (a 64-bit
// register): as its destination, or implicitly (a call clobbers the
// caller-saved registers, rax with its return value; psABI 3.2.1).
func writesReg(inst x86asm.Inst, r x86asm.Reg) bool {
	switch inst.Op {
	case x86asm.CMP, x86asm.TEST, x86asm.PUSH, x86asm.BT, x86asm.JMP, x86asm.UCOMISD, x86asm.UCOMISS,
		x86asm.COMISD, x86asm.COMISS, x86asm.NOP:
		return false
	case x86asm.CALL:
		switch r {
		case x86asm.RAX, x86asm.RCX, x86asm.RDX, x86asm.RSI, x86asm.RDI, x86asm.R8, x86asm.R9, x86asm.R10, x86asm.R11:
			return true
		}
		return false
	case x86asm.XCHG, x86asm.XADD, x86asm.CMPXCHG:
		for _, a := range inst.Args {
			if reg, ok := a.(x86asm.Reg); ok && regFamily(reg) == r {
				return true
			}
		}
		return false
	}
	if reg, ok := inst.Args[0].(x86asm.Reg); ok {
		return regFamily(reg) == r
	}
	return false
}

// decodedInst is an instruction and its address.
type decodedInst struct {
	inst x86asm.Inst
	at   uint64
}

// straightLineBefore decodes the instructions that run straight into the
// one at end: it decodes forward from each start in the traceWindow bytes
// before end (not before lo, the function's start when known) and keeps the
// first, so longest, decoding that lands exactly on end. x86 cannot be
// decoded backwards; a wrong start almost always drifts off end.
func (s *Session) straightLineBefore(end, lo uint64) []decodedInst {
	start := end - traceWindow
	if end < traceWindow || start < lo {
		start = lo
	}
	if start >= end {
		return nil
	}
	buf := make([]byte, end-start+15)
	n, _ := s.Mem.ReadAt(buf, start)
	if uint64(n) < end-start {
		// Read what exists nearest the call.
		return nil
	}
	buf = buf[:n]
	for s0 := start; s0 < end; s0++ {
		var out []decodedInst
		pc := s0
		for pc < end {
			inst, err := x86.Decode(buf[pc-start:])
			if err != nil {
				break
			}
			out = append(out, decodedInst{inst, pc})
			pc += uint64(inst.Len)
		}
		if pc == end && len(out) > 0 {
			return out
		}
	}
	return nil
}

// regLoad is where a register an indirect call used got its value.
type regLoad struct {
	// load is the instruction that wrote the value (a mov from memory
	// when the value came from a slot).
	load decodedInst
	// mem is load's memory operand, when it read memory.
	mem    x86asm.Mem
	hasMem bool
	// path is what happened to the value between load and the call,
	// the step nearest the call first: "moved to rax at 0x…".
	path []string
	// after are the instructions between load and the call.
	after []decodedInst
}

// traceCallRegister finds the instruction that last wrote reg before the
// call at callSite, following register moves and spills to the stack, on
// the straight-line path before the call. funcStart bounds the search (0
// when unknown).
func (s *Session) traceCallRegister(callSite, funcStart uint64, reg x86asm.Reg) (regLoad, bool) {
	return traceRegister(s.straightLineBefore(callSite, funcStart), reg)
}

// traceRegister walks insts backwards from their end to the instruction
// that gave reg its value. A register move (`mov rax, rdx`) continues with
// the source register; a reload from a stack slot (`mov r8, [rbp-0x8]`, as
// unoptimized code spills every local) continues with the register stored
// there (`mov [rbp-0x8], rax`), if the frame register did not change in
// between. Anything else ends the walk: a load from memory names the slot.
func traceRegister(insts []decodedInst, reg x86asm.Reg) (regLoad, bool) {
	r := regFamily(reg)
	var path []string
	for i := len(insts) - 1; i >= 0; i-- {
		in := insts[i]
		if !writesReg(in.inst, r) {
			continue
		}
		if in.inst.Op == x86asm.CALL {
			return regLoad{}, false // a return value or a clobber: no slot to name
		}
		if in.inst.Op == x86asm.MOV {
			switch src := in.inst.Args[1].(type) {
			case x86asm.Reg:
				if regFamily(src) != 0 && src == regFamily(src) {
					path = append(path, fmt.Sprintf("moved to %s at %#x", regName(r), in.at))
					r = src
					continue
				}
			case x86asm.Mem:
				if j, from, ok := spilledFrom(insts[:i], src); ok {
					path = append(path, fmt.Sprintf("stored to %s at %#x and reloaded into %s at %#x", memString(src), insts[j].at, regName(r), in.at))
					r, i = from, j
					continue
				}
			}
		}
		rl := regLoad{load: in, path: path, after: insts[i+1:]}
		if m, ok := in.inst.Args[1].(x86asm.Mem); ok && in.inst.Op == x86asm.MOV {
			rl.mem, rl.hasMem = m, true
		}
		return rl, true
	}
	return regLoad{}, false
}

// spilledFrom finds the store of a 64-bit register to the stack slot m
// (rbp- or rsp-based) in insts, searching backwards: its index and the
// register. The frame register must not change between the store and the
// end of insts; for rsp, neither may pushes, pops or calls.
func spilledFrom(insts []decodedInst, m x86asm.Mem) (int, x86asm.Reg, bool) {
	if (m.Base != x86asm.RBP && m.Base != x86asm.RSP) || m.Index != 0 || m.Segment != 0 {
		return 0, 0, false
	}
	for j := len(insts) - 1; j >= 0; j-- {
		in := insts[j].inst
		if writesReg(in, m.Base) || (m.Base == x86asm.RSP && (in.Op == x86asm.PUSH || in.Op == x86asm.POP || in.Op == x86asm.CALL)) {
			return 0, 0, false
		}
		if in.Op != x86asm.MOV {
			continue
		}
		if dst, ok := in.Args[0].(x86asm.Mem); ok && dst == m {
			if src, ok := in.Args[1].(x86asm.Reg); ok && src == regFamily(src) && src != 0 {
				return j, src, true
			}
			return 0, 0, false // a store of something else: no register to follow
		}
	}
	return 0, 0, false
}

func memString(m x86asm.Mem) string {
	if m.Base != 0 || m.Index != 0 {
		m.Disp = int64(int32(m.Disp)) // as effectiveAddr: [rbp-0x204], not [rbp+0xfffffdfc]
	}
	return strings.ToLower(fmt.Sprint(m))
}

// regsUnchanged reports whether no instruction in insts writes the
// registers a memory operand uses, so that their values at the call are
// their values at the load.
func regsUnchanged(m x86asm.Mem, insts []decodedInst) bool {
	for _, r := range []x86asm.Reg{m.Base, m.Index} {
		if r == 0 || r == x86asm.RIP {
			continue
		}
		for _, in := range insts {
			if writesReg(in.inst, regFamily(r)) {
				return false
			}
		}
	}
	return true
}
