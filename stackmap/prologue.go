package stackmap

import (
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/x86"
)

// Prologue is what a function's entry code says about its stack frame.
type Prologue struct {
	// Size is the whole frame in bytes, return address included: 8 for
	// the return address, 8 per push, plus every rsp adjustment.
	Size int64
	// How lists the instructions that made up Size, for reports:
	// "return address 8 + push ×2 16 + sub rsp,0x518".
	How string
	// Complete is set when decoding stopped at the function's body: an
	// instruction that does not move rsp. Every allocation of the
	// prologue is then in Size. It is false when the decoder stopped at
	// something it does not understand that moves rsp (lea r11,[rsp-N] of
	// an unknown probe scheme, and rsp,-32 …), inside a probe loop, at
	// stopAt, or at the end of the bytes it was given: Size is then only
	// what it understood, a lower bound.
	Complete bool
}

// maxPrologueInsns bounds how far into a function the decoder looks.
const maxPrologueInsns = 64

// DecodePrologue decodes the entry code of a function (code starts at the
// function's first byte) and adds up the stack it allocates:
//
//   - push r64: 8 bytes each; mov rbp,rsp of a frame-pointer prologue;
//   - sub rsp, imm;
//   - stack probes, which touch each page as they allocate it so that a
//     big frame cannot jump over the guard page:
//   - LLVM's inline probes, unrolled (sub rsp,0x1000; mov qword ptr
//     [rsp],0 repeated, then sub rsp,rem) or a loop (mov r11,rsp; sub
//     r11,N; loop: sub rsp,0x1000; mov qword ptr [rsp],0; cmp rsp,r11;
//     jne loop);
//   - GCC's -fstack-clash-protection, unrolled (sub rsp,0x1000; or qword
//     ptr [rsp],0 repeated) or a loop (lea r11,[rsp-N]; loop: sub
//     rsp,0x1000; or qword ptr [rsp],0; cmp rsp,r11; jne loop), then sub
//     rsp,rem and maybe or qword ptr [rsp+off],0;
//   - older Rust's probestack call: mov eax,N; call __rust_probestack;
//     sub rsp,rax.
//
// It stops at the first instruction that is not part of such a prologue,
// or at stopAt bytes (the faulting PC's offset, if it lies in the
// prologue: the frame was only partly allocated then, and the size is what
// the function asked for up to and including that instruction).
func DecodePrologue(code []byte, stopAt int) Prologue {
	p := Prologue{Size: 8}
	var how []string
	pushes := 0
	var loopTotal int64 // probe loop: what the loop allocates in all
	inLoop := false     // between the loop's bound (r11) and its cmp
	loopClosed := false // the previous instruction was the loop's cmp
	var movImm int64    // mov eax/rax, imm before a probestack call
	sawCall := false
	off := 0
decode:
	for n := 0; n < maxPrologueInsns && off < len(code); n++ {
		if stopAt >= 0 && off > stopAt {
			break
		}
		if off+4 <= len(code) && string(code[off:off+4]) == "\xf3\x0f\x1e\xfa" { // endbr64
			off += 4
			continue
		}
		inst, err := x86.Decode(code[off:])
		if err != nil {
			break
		}
		closed := loopClosed
		loopClosed = false
		reg0, _ := arg(inst, 0).(x86asm.Reg)
		mem0, isMem0 := arg(inst, 0).(x86asm.Mem)
		mem1, isMem1 := arg(inst, 1).(x86asm.Mem)
		imm1, isImm1 := arg(inst, 1).(x86asm.Imm)
		src, _ := arg(inst, 1).(x86asm.Reg)
		switch {
		case inst.Op == x86asm.NOP:
		case inst.Op == x86asm.PUSH && reg0 != 0:
			pushes++
			p.Size += 8
		case inst.Op == x86asm.MOV && reg0 == x86asm.RBP && src == x86asm.RSP:
			// mov rbp,rsp: the frame pointer.
		case inst.Op == x86asm.MOV && reg0 == x86asm.R11 && src == x86asm.RSP:
			// LLVM's probe loop bound: r11 = rsp - loopTotal, made final
			// by sub r11,N (GCC's lea r11,[rsp-N] sets it at once).
			loopTotal, inLoop = 0, true
		case inst.Op == x86asm.MOV && isImm1 && (reg0 == x86asm.EAX || reg0 == x86asm.RAX):
			movImm = int64(imm1)
		case (inst.Op == x86asm.MOV || inst.Op == x86asm.OR) && isMem0 && mem0.Base == x86asm.RSP && mem0.Index == 0 && isImm1 && imm1 == 0:
			// The store of a stack probe: mov qword ptr [rsp],0 (LLVM),
			// or qword ptr [rsp],0 (GCC).
		case inst.Op == x86asm.SUB && reg0 == x86asm.R11 && isImm1 && imm1 > 0 && inLoop:
			loopTotal += int64(imm1) // mov r11,rsp; sub r11,N
		case inst.Op == x86asm.LEA && reg0 == x86asm.R11 && isMem1 && mem1.Base == x86asm.RSP && mem1.Index == 0 && int32(mem1.Disp) < 0:
			// lea r11,[rsp-N] (x86asm keeps disp32 unsigned).
			loopTotal = -int64(int32(mem1.Disp))
			inLoop = true
		case inst.Op == x86asm.SUB && reg0 == x86asm.RSP && isImm1 && inLoop:
			// One page of the probe loop; the cmp adds up the loop.
		case inst.Op == x86asm.SUB && reg0 == x86asm.RSP && isImm1 && imm1 > 0:
			// A negative immediate (sub rsp,-0x10) frees stack: not a
			// prologue's, so it falls to the default and stops there.
			p.Size += int64(imm1)
			how = append(how, fmt.Sprintf("sub rsp,%#x", int64(imm1)))
		case inst.Op == x86asm.SUB && reg0 == x86asm.RSP && src == x86asm.RAX && sawCall && movImm > 0:
			p.Size += movImm
			how = append(how, fmt.Sprintf("__rust_probestack %#x", movImm))
		case inst.Op == x86asm.CMP && reg0 == x86asm.RSP && src == x86asm.R11 && inLoop:
			p.Size += loopTotal
			how = append(how, fmt.Sprintf("probe loop %#x", loopTotal))
			inLoop, loopClosed = false, true
		case inst.Op == x86asm.JNE && closed:
			// The loop's back edge.
		case inst.Op == x86asm.CALL && movImm > 0 && !sawCall:
			sawCall = true
		default:
			// The body starts here, unless this instruction moves rsp
			// in a way the decoder does not follow.
			p.Complete = !x86.MovesRSP(inst) && !inLoop
			break decode
		}
		off += inst.Len
	}
	if p.Size == 8 && pushes == 0 {
		p.How = "return address 8"
		return p
	}
	parts := []string{"return address 8"}
	if pushes > 0 {
		parts = append(parts, fmt.Sprintf("push ×%d %d", pushes, 8*pushes))
	}
	// Unrolled probes repeat one step: "sub rsp,0x1000 ×5".
	for i := 0; i < len(how); {
		j := i
		for j < len(how) && how[j] == how[i] {
			j++
		}
		if j-i > 1 {
			parts = append(parts, fmt.Sprintf("%s ×%d", how[i], j-i))
		} else {
			parts = append(parts, how[i])
		}
		i = j
	}
	p.How = strings.Join(parts, " + ")
	return p
}

func arg(inst x86asm.Inst, i int) x86asm.Arg {
	if i < len(inst.Args) {
		return inst.Args[i]
	}
	return nil
}
