package stackmap

import (
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Prologue is what a function's entry code says about its stack frame.
type Prologue struct {
	// Size is the whole frame in bytes, return address included: 8 for
	// the return address, 8 per push, plus every rsp adjustment.
	Size int64
	// How lists the instructions that made up Size, for reports:
	// "return address 8 + push ×2 16 + sub rsp,0x518".
	How string
}

// maxPrologueInsns bounds how far into a function the decoder looks.
const maxPrologueInsns = 64

// DecodePrologue decodes the entry code of a function (code starts at the
// function's first byte) and adds up the stack it allocates:
//
//   - push r64: 8 bytes each;
//   - sub rsp, imm;
//   - LLVM's inline stack probes: unrolled (sub rsp,0x1000; mov qword ptr
//     [rsp],0 repeated) or a loop (mov r11,rsp; sub r11,N; loop: sub
//     rsp,0x1000; mov [rsp],0; cmp rsp,r11; jne loop);
//   - older Rust's probestack call: mov eax,N; call __rust_probestack;
//     sub rsp,rax.
//
// It stops at the first instruction that is not part of such a prologue,
// or at stopAt bytes (the faulting PC's offset, if it lies in the
// prologue: the frame was only partly allocated then, and the size is what
// the function asked for up to and including that instruction).
func DecodePrologue(code []byte, stopAt int) (Prologue, bool) {
	p := Prologue{Size: 8}
	var how []string
	pushes := 0
	var pendingR11 int64 // probe loop: total the loop will allocate
	inLoop := false
	var movImm int64 // mov eax/rax, imm before a probestack call
	sawCall := false
	off := 0
	for n := 0; n < maxPrologueInsns && off < len(code); n++ {
		if stopAt >= 0 && off > stopAt {
			break
		}
		if off+4 <= len(code) && string(code[off:off+4]) == "\xf3\x0f\x1e\xfa" { // endbr64
			off += 4
			continue
		}
		inst, err := x86asm.Decode(code[off:], 64)
		if err != nil {
			break
		}
		off += inst.Len
		reg0, _ := arg(inst, 0).(x86asm.Reg)
		switch inst.Op {
		case x86asm.NOP:
			continue
		case x86asm.PUSH:
			if _, ok := inst.Args[0].(x86asm.Reg); ok {
				pushes++
				p.Size += 8
				continue
			}
		case x86asm.MOV:
			src, _ := arg(inst, 1).(x86asm.Reg)
			if reg0 == x86asm.RBP && src == x86asm.RSP || reg0 == x86asm.R11 && src == x86asm.RSP {
				continue
			}
			if imm, ok := arg(inst, 1).(x86asm.Imm); ok && (reg0 == x86asm.EAX || reg0 == x86asm.RAX || reg0 == x86asm.R11) {
				movImm = int64(imm)
				continue
			}
			if m, ok := arg(inst, 0).(x86asm.Mem); ok && m.Base == x86asm.RSP {
				// The store of a stack probe: mov qword ptr [rsp], 0.
				if _, isImm := arg(inst, 1).(x86asm.Imm); isImm {
					continue
				}
			}
		case x86asm.SUB:
			imm, isImm := arg(inst, 1).(x86asm.Imm)
			src, _ := arg(inst, 1).(x86asm.Reg)
			switch {
			case reg0 == x86asm.R11 && isImm:
				pendingR11 = int64(imm)
				inLoop = true
				continue
			case reg0 == x86asm.RSP && isImm && inLoop:
				continue // one page of the probe loop
			case reg0 == x86asm.RSP && isImm:
				p.Size += int64(imm)
				how = append(how, fmt.Sprintf("sub rsp,%#x", int64(imm)))
				continue
			case reg0 == x86asm.RSP && src == x86asm.RAX && sawCall && movImm > 0:
				p.Size += movImm
				how = append(how, fmt.Sprintf("__rust_probestack %#x", movImm))
				continue
			}
		case x86asm.CMP:
			src, _ := arg(inst, 1).(x86asm.Reg)
			if reg0 == x86asm.RSP && src == x86asm.R11 && inLoop {
				p.Size += pendingR11
				how = append(how, fmt.Sprintf("probe loop %#x", pendingR11))
				inLoop = false
				continue
			}
		case x86asm.JNE:
			continue
		case x86asm.CALL:
			if movImm > 0 && !sawCall {
				sawCall = true
				continue
			}
		}
		break
	}
	if p.Size == 8 && pushes == 0 {
		p.How = "return address 8"
		return p, true
	}
	parts := []string{"return address 8"}
	if pushes > 0 {
		parts = append(parts, fmt.Sprintf("push ×%d %d", pushes, 8*pushes))
	}
	p.How = strings.Join(append(parts, how...), " + ")
	return p, true
}

func arg(inst x86asm.Inst, i int) x86asm.Arg {
	if i < len(inst.Args) {
		return inst.Args[i]
	}
	return nil
}
