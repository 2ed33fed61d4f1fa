package analyze

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/x86"
)

// traceWindow is how far before a `call reg` the loader of reg is looked
// for: compilers put the load right before the call (LLVM's
// `mov rax, [rip+X]; call rax` through a GOT slot, gcc's null check
// `mov rax, [rip+hook]; test rax, rax; je …; call rax`).
const traceWindow = 64

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
	r := x86.RegFamily(reg)
	var path []string
	for i := len(insts) - 1; i >= 0; i-- {
		in := insts[i]
		if !x86.WritesReg(in.inst, r) {
			continue
		}
		if in.inst.Op == x86asm.CALL {
			return regLoad{}, false // a return value or a clobber: no slot to name
		}
		if in.inst.Op == x86asm.MOV {
			switch src := in.inst.Args[1].(type) {
			case x86asm.Reg:
				if x86.RegFamily(src) != 0 && src == x86.RegFamily(src) {
					path = append(path, fmt.Sprintf("moved to %s at %#x", x86.RegName(r), in.at))
					r = src
					continue
				}
			case x86asm.Mem:
				if j, from, ok := spilledFrom(insts[:i], src); ok {
					path = append(path, fmt.Sprintf("stored to %s at %#x and reloaded into %s at %#x", x86.MemString(src), insts[j].at, x86.RegName(r), in.at))
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
		if x86.WritesReg(in, m.Base) || (m.Base == x86asm.RSP && (in.Op == x86asm.PUSH || in.Op == x86asm.POP || in.Op == x86asm.CALL)) {
			return 0, 0, false
		}
		if in.Op != x86asm.MOV {
			continue
		}
		if dst, ok := in.Args[0].(x86asm.Mem); ok && dst == m {
			if src, ok := in.Args[1].(x86asm.Reg); ok && src == x86.RegFamily(src) && src != 0 {
				return j, src, true
			}
			return 0, 0, false // a store of something else: no register to follow
		}
	}
	return 0, 0, false
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
			if x86.WritesReg(in.inst, x86.RegFamily(r)) {
				return false
			}
		}
	}
	return true
}
