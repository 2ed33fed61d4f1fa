package stackmap

import (
	"encoding/binary"
	"errors"
	"testing"
)

// fakeMem is a word-addressed memory for unwinder tests.
type fakeMem map[uint64]uint64

func (m fakeMem) ReadAt(p []byte, addr uint64) (int, error) {
	for i := 0; i < len(p); i += 8 {
		w, ok := m[addr+uint64(i)]
		if !ok {
			return i, errors.New("unmapped")
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], w)
		copy(p[i:], b[:])
	}
	return len(p), nil
}

// debugFrame is a .debug_frame with one CIE and one FDE for a function at
// 0x1000 of size 0x20 with the classic frame-pointer prologue. As
// llvm-dwarfdump --debug-frame decodes it:
//
//	CIE: version 1, augmentation "", code_align 1, data_align -8, RA r16
//	  DW_CFA_def_cfa: RSP +8
//	  DW_CFA_offset: RIP [CFA-8]
//	FDE: pc=0x1000...0x1020
//	  0x1000: push %rbp
//	  DW_CFA_advance_loc: 1
//	  DW_CFA_def_cfa_offset: +16
//	  DW_CFA_offset: RBP [CFA-16]
//	  0x1001: mov %rsp,%rbp
//	  DW_CFA_advance_loc: 3
//	  DW_CFA_def_cfa_register: RBP
var debugFrame = []byte{
	// CIE
	0x10, 0, 0, 0, // length 16
	0xff, 0xff, 0xff, 0xff, // CIE_id
	1,          // version
	0,          // augmentation ""
	1,          // code alignment factor
	0x78,       // data alignment factor -8
	16,         // return address register
	0x0c, 7, 8, // DW_CFA_def_cfa r7 8
	0x90, 1, // DW_CFA_offset r16 1*-8
	0, 0, // padding (DW_CFA_nop)
	// FDE
	0x1c, 0, 0, 0, // length 28
	0, 0, 0, 0, // CIE pointer: offset 0
	0x00, 0x10, 0, 0, 0, 0, 0, 0, // initial_location 0x1000
	0x20, 0, 0, 0, 0, 0, 0, 0, // address_range 0x20
	0x41,       // DW_CFA_advance_loc 1
	0x0e, 0x10, // DW_CFA_def_cfa_offset 16
	0x86, 0x02, // DW_CFA_offset r6 2*-8
	0x43,       // DW_CFA_advance_loc 3
	0x0d, 0x06, // DW_CFA_def_cfa_register r6
	0, // DW_CFA_nop
}

func TestCFIStep(t *testing.T) {
	cfi, err := NewCFI(Sections{DebugFrame: debugFrame})
	if err != nil {
		t.Fatal(err)
	}
	const sp, ra, savedRBP = 0x7000, 0x401234, 0x7100
	tests := []struct {
		name    string
		pc      uint64
		regs    map[int]uint64
		mem     fakeMem
		wantCFA uint64
		wantRBP uint64
	}{
		{"at entry: CFA = rsp+8", 0x1000, map[int]uint64{RSP: sp, RBP: savedRBP},
			fakeMem{sp: ra}, sp + 8, savedRBP},
		{"after push: CFA = rsp+16, rbp at CFA-16", 0x1001, map[int]uint64{RSP: sp - 8, RBP: savedRBP},
			fakeMem{sp: ra, sp - 8: savedRBP}, sp + 8, savedRBP},
		{"body: CFA = rbp+16", 0x1010, map[int]uint64{RSP: sp - 0x48, RBP: sp - 8},
			fakeMem{sp: ra, sp - 8: savedRBP}, sp + 8, savedRBP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var regs Regs
			regs.Set(RIP, tt.pc)
			for n, v := range tt.regs {
				regs.Set(n, v)
			}
			next, cfa, outermost, err := cfi.step(tt.pc, &regs, tt.mem)
			if err != nil || outermost {
				t.Fatalf("err %v outermost %v", err, outermost)
			}
			if cfa != tt.wantCFA || next.PC() != ra || next.SP() != tt.wantCFA {
				t.Errorf("cfa %#x pc %#x sp %#x; want cfa %#x pc %#x", cfa, next.PC(), next.SP(), tt.wantCFA, uint64(ra))
			}
			if rbp, ok := next.Get(RBP); !ok || rbp != tt.wantRBP {
				t.Errorf("rbp = %#x (%v), want %#x", rbp, ok, tt.wantRBP)
			}
		})
	}
	if _, _, _, err := cfi.step(0x2000, &Regs{}, fakeMem{}); !errors.Is(err, errNoFDE) {
		t.Errorf("pc outside every FDE: err = %v", err)
	}
	// The CFA moves to rbp after push rbp; mov rbp,rsp: the rsp-based rows
	// reach 16 (push rbp + return address), but whatever the function
	// allocates after that is invisible to the CFI, so 16 is a lower bound
	// and must say so (the frame size comes from the prologue then).
	if fi, ok := cfi.FrameInfo(0x1010); !ok || fi.CFASize != 16 || !fi.Partial || fi.Begin != 0x1000 || fi.End != 0x1020 {
		t.Errorf("FrameInfo = %+v, %v; want CFASize 16, Partial (the CFA moved to rbp) over 0x1000-0x1020", fi, ok)
	}
}

func TestMalformedCFI(t *testing.T) {
	for _, data := range [][]byte{
		{0xff, 0xff, 0xff},                      // truncated length
		{0x40, 0, 0, 0, 1, 2, 3},                // length past the end
		append([]byte(nil), debugFrame[:30]...), // cut inside the FDE
	} {
		// Whatever the parser makes of it, it must not panic.
		cfi, _ := NewCFI(Sections{DebugFrame: data})
		if cfi != nil {
			var regs Regs
			cfi.step(0x1000, &regs, fakeMem{})
		}
	}
}

func TestSigtrampUnwind(t *testing.T) {
	// A stack where frame 0 is the trampoline: its bytes are __restore_rt's
	// and the ucontext sits at rsp.
	const pc, sp = 0x5000, 0x8000
	mem := fakeMem{}
	code := append(append([]byte(nil), restoreRT...), 0, 0, 0, 0, 0, 0, 0)
	mem[pc] = binary.LittleEndian.Uint64(code[0:])
	mem[pc+8] = binary.LittleEndian.Uint64(code[8:])
	for i := range sigcontextRegOrder {
		mem[sp+ucMcontext+uint64(8*i)] = uint64(0x100 + i)
	}
	var regs Regs
	regs.Set(RIP, pc)
	regs.Set(RSP, sp)
	st := Unwind(mem, noCode{}, regs, Options{MaxFrames: 2})
	if len(st.Frames) != 2 || !st.Frames[0].Signal || st.Frames[1].Method != MethodSignal {
		t.Fatalf("frames = %+v", st.Frames)
	}
	// rip is the 17th sigcontext word, rsp the 16th.
	if st.Frames[1].PC != 0x100+16 || st.Frames[1].SP != 0x100+15 || st.Frames[1].Caller {
		t.Errorf("interrupted frame pc %#x sp %#x caller %v", st.Frames[1].PC, st.Frames[1].SP, st.Frames[1].Caller)
	}
	// Frame 1 is in no code and its stack is not mapped: the walk ends there.
	if st.End != EndUnreadable {
		t.Errorf("end = %s", st.End)
	}
}

type noCode struct{}

func (noCode) CFI(uint64) (*CFI, uint64, bool)       { return nil, 0, false }
func (noCode) Executable(uint64) bool                { return false }
func (noCode) FuncStart(uint64) (uint64, bool)       { return 0, false }
func (noCode) Outermost(uint64, bool) (string, bool) { return "", false }

// TestMaxRSPOffset runs the frame-size walker over FDE programs as readelf
// --debug-frame shows them for real functions (CIE: def_cfa rsp+8).
func TestMaxRSPOffset(t *testing.T) {
	cieProg := []byte{0x0c, 7, 8, 0x90, 1} // def_cfa rsp+8; offset r16 at cfa-8
	tests := []struct {
		name    string
		fde     []byte
		max     int64
		partial bool
	}{
		// gcc -O1 -fno-omit-frame-pointer: push rbp; mov rbp,rsp; push rbx;
		// sub rsp,0x518. The CFA moves to rbp at 16 bytes and only comes
		// back to rsp (at 8) in the epilogue: 16 is a lower bound.
		{"gcc frame pointer", []byte{
			0x41, 0x0e, 0x10, // advance 1; def_cfa_offset 16
			0x86, 0x02, // offset rbp at cfa-16
			0x43, 0x0d, 0x06, // advance 3; def_cfa_register rbp
			0x48, 0x83, 0x03, // advance 8; offset rbx at cfa-24
			0x02, 107, 0x0c, 0x07, 0x08, // advance 107; def_cfa rsp+8
		}, 16, true},
		// gcc -O1 -fstack-clash-protection: the CFA is r11-based while the
		// probe loop moves rsp, and comes back to rsp at the full frame.
		{"gcc stack-clash loop", []byte{
			0x41, 0x0e, 0x10, // advance 1; def_cfa_offset 16
			0x83, 0x02, // offset rbx at cfa-16
			0x48, 0x0c, 0x0b, 0x90, 0x80, 0x01, // advance 8; def_cfa r11+16400
			0x51, 0x0d, 0x07, // advance 17; def_cfa_register rsp
			0x47, 0x0e, 0xb0, 0x9c, 0x01, // advance 7; def_cfa_offset 20016
			0x02, 76, 0x0e, 0x10, // advance 76; def_cfa_offset 16
			0x41, 0x0e, 0x08, // advance 1; def_cfa_offset 8
		}, 20016, false},
		// rustc (LLVM) probe loop: r11-based, then rsp+143384, then the
		// remainder.
		{"llvm probe loop", []byte{
			0x42, 0x0e, 0x10, // advance 2; def_cfa_offset 16
			0x41, 0x0e, 0x18, // advance 1; def_cfa_offset 24
			0x4a, 0x0d, 0x0b, 0x0e, 0x98, 0xe0, 0x08, // advance 10; def_cfa_register r11; def_cfa_offset 143384
			0x5b, 0x0d, 0x07, 0x0e, 0xa0, 0xe5, 0x08, // advance 27; def_cfa_register rsp; def_cfa_offset 144032
		}, 144032, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max, ok, partial, err := maxRSPOffset(&cie{codeAlign: 1, dataAlign: -8, raReg: RIP, initial: cieProg}, tt.fde)
			if err != nil || !ok || max != tt.max || partial != tt.partial {
				t.Errorf("max %d ok %v partial %v err %v; want %d partial %v", max, ok, partial, err, tt.max, tt.partial)
			}
		})
	}
}
