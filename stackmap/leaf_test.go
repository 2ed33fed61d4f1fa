package stackmap

import (
	"encoding/binary"
	"errors"
	"testing"
)

// byteMem is a byte-addressed sparse memory: regions by start address.
type byteMem map[uint64][]byte

func (m byteMem) ReadAt(p []byte, addr uint64) (int, error) {
	for base, b := range m {
		if addr >= base && addr < base+uint64(len(b)) {
			n := copy(p, b[addr-base:])
			if n < len(p) {
				return n, errors.New("unmapped")
			}
			return n, nil
		}
	}
	return 0, errors.New("unmapped")
}

func (m byteMem) putWord(addr, v uint64) {
	for base, b := range m {
		if addr >= base && addr+8 <= base+uint64(len(b)) {
			binary.LittleEndian.PutUint64(b[addr-base:], v)
			return
		}
	}
	panic("putWord outside the regions")
}

// symCode is code without CFI in [0x1000, 0x3000), with functions starting
// at the given addresses.
type symCode []uint64

func (symCode) CFI(uint64) (*CFI, uint64, bool) { return nil, 0, false }
func (symCode) Executable(pc uint64) bool       { return pc >= 0x1000 && pc < 0x3000 }
func (s symCode) FuncStart(pc uint64) (uint64, bool) {
	best, ok := uint64(0), false
	for _, a := range s {
		if a <= pc && a >= best {
			best, ok = a, true
		}
	}
	return best, ok
}
func (symCode) Outermost(uint64, bool) (string, bool) { return "", false }

// The code of the tests below, as objdump -d -M intel decodes it (Go's
// runtime.raise, and callers with frame-pointer prologues):
//
//	raise (0x1000):           frameless
//	  1000: b8 27 00 00 00    mov eax,0x27
//	  1005: 0f 05             syscall
//	  1007: c3                ret
//	dieFromSignal (0x1100):   push rbp; mov rbp,rsp; call raise
//	  1100: 55                push rbp
//	  1101: 48 89 e5          mov rbp,rsp
//	  1104: e8 f7 fe ff ff    call 0x1000
//	  1109: 5d                pop rbp
//	sigfwdgo (0x1200):        push rbp; mov rbp,rsp; call dieFromSignal
//	  1200: 55 48 89 e5
//	  1204: e8 f7 fe ff ff    call 0x1100
//	  1209: 5d
//	gostyle (0x1300):         a Go prologue: the stack check branches
//	  1300: 49 3b 66 10       cmp rsp,[r14+0x10]
//	  1304: 76 08             jbe 0x130e
//	  1306: 55                push rbp
//	  1307: 48 89 e5          mov rbp,rsp
//	  130a: 90 90 90 90       nop ×4
const (
	raiseAt    = 0x1000
	dieAt      = 0x1100
	sigfwdAt   = 0x1200
	gostyleAt  = 0x1300
	sigretAt   = 0x1400 // mov rax,15; syscall: Go's runtime.sigreturn__sigaction
	raRaise    = 0x1109 // after call raise
	raDie      = 0x1209 // after call dieFromSignal
	stackBase  = 0x7000
	stackBytes = 0x2000
)

func leafMemory() byteMem {
	code := make([]byte, 0x2000)
	copy(code[raiseAt-0x1000:], "\xb8\x27\x00\x00\x00\x0f\x05\xc3")
	copy(code[dieAt-0x1000:], "\x55\x48\x89\xe5\xe8\xf7\xfe\xff\xff\x5d\xc3")
	copy(code[sigfwdAt-0x1000:], "\x55\x48\x89\xe5\xe8\xf7\xfe\xff\xff\x5d\xc3")
	copy(code[gostyleAt-0x1000:], "\x49\x3b\x66\x10\x76\x08\x55\x48\x89\xe5\x90\x90\x90\x90")
	copy(code[sigretAt-0x1000:], restoreRT)
	return byteMem{0x1000: code, stackBase: make([]byte, stackBytes)}
}

// TestFramelessLeaf: frame 0 in a function that has not moved rsp (Go's
// runtime.raise) takes its return address from [rsp]; the frame-pointer
// chain, whose rbp is still the caller's, would skip the caller.
func TestFramelessLeaf(t *testing.T) {
	mem := leafMemory()
	const sp = stackBase + 0x100
	// dieFromSignal's frame: saved rbp at sp+8 (rbp = sp+8), its return
	// address into sigfwdgo above it; raise's return address at sp.
	rbp := uint64(sp + 8)
	mem.putWord(sp, raRaise)
	mem.putWord(rbp, stackBase+0x200) // sigfwdgo's rbp
	mem.putWord(rbp+8, raDie)
	code := symCode{raiseAt, dieAt, sigfwdAt, gostyleAt, sigretAt}
	var regs Regs
	regs.Set(RIP, raiseAt+7) // at the ret, after the syscall
	regs.Set(RSP, sp)
	regs.Set(RBP, rbp)
	st := Unwind(mem, code, regs, Options{MaxFrames: 3})
	if len(st.Frames) != 3 {
		t.Fatalf("%d frames (%s %s)", len(st.Frames), st.End, st.EndDetail)
	}
	if f := st.Frames[1]; f.PC != raRaise || f.SP != sp+8 || f.Method != MethodCall {
		t.Errorf("frame 1: pc %#x sp %#x by %s; want dieFromSignal's %#x, sp %#x, by call", f.PC, f.SP, f.Method, raRaise, sp+8)
	}
	if f := st.Frames[2]; f.PC != raDie || f.Method != MethodFP {
		t.Errorf("frame 2: pc %#x by %s; want sigfwdgo's %#x by fp", f.PC, f.Method, raDie)
	}

	// Not frameless: after push rbp in dieFromSignal, and past the branch
	// of a Go stack check. The frame-pointer chain is used.
	for _, tt := range []struct {
		name string
		pc   uint64
	}{
		{"after push rbp", dieAt + 1},
		{"after a Go stack check's branch", gostyleAt + 0x0a},
	} {
		if frameless(mem, code, tt.pc) {
			t.Errorf("%s: frameless", tt.name)
		}
	}
	// At a function's first byte, or before its stack check branches,
	// nothing has moved rsp yet.
	for _, pc := range []uint64{dieAt, gostyleAt, gostyleAt + 4, raiseAt + 5} {
		if !frameless(mem, code, pc) {
			t.Errorf("%#x: not frameless", pc)
		}
	}
	// Decoding must land on the PC exactly: inside an instruction is not
	// a straight line to it.
	if frameless(mem, code, raiseAt+2) {
		t.Error("pc inside mov eax,0x27: frameless")
	}
}

// TestFPIntoSignalTrampoline: a signal handler found by the frame-pointer
// chain returns to the trampoline the kernel put in its return slot; no
// call precedes it, and the next frame is the interrupted one, from the
// ucontext at the trampoline's rsp.
func TestFPIntoSignalTrampoline(t *testing.T) {
	mem := leafMemory()
	const sp = stackBase + 0x100
	// The handler (dieFromSignal's code, after its prologue): rbp = sp;
	// [rbp+8] is the kernel's pretcode, sigreturn; the ucontext follows.
	mem.putWord(sp, 0)
	mem.putWord(sp+8, sigretAt)
	uc := uint64(sp + 16)
	for k, n := range sigcontextRegOrder {
		switch n {
		case RIP:
			mem.putWord(uc+ucMcontext+uint64(8*k), raiseAt+5)
		case RSP:
			mem.putWord(uc+ucMcontext+uint64(8*k), stackBase+0x800)
		}
	}
	code := symCode{raiseAt, dieAt, sigfwdAt, gostyleAt, sigretAt}
	var regs Regs
	regs.Set(RIP, dieAt+9)
	regs.Set(RSP, sp-8)
	regs.Set(RBP, sp)
	st := Unwind(mem, code, regs, Options{MaxFrames: 3})
	if len(st.Frames) != 3 {
		t.Fatalf("%d frames (%s %s)", len(st.Frames), st.End, st.EndDetail)
	}
	if f := st.Frames[1]; f.PC != sigretAt || f.SP != uc || !f.Signal || f.Caller {
		t.Errorf("frame 1: pc %#x sp %#x signal %v caller %v; want the trampoline %#x at %#x", f.PC, f.SP, f.Signal, f.Caller, sigretAt, uc)
	}
	if f := st.Frames[2]; f.PC != raiseAt+5 || f.SP != stackBase+0x800 || f.Method != MethodSignal {
		t.Errorf("frame 2: pc %#x sp %#x by %s; want the interrupted %#x", f.PC, f.SP, f.Method, raiseAt+5)
	}
}
