package stackmap

import (
	"encoding/binary"
	"strings"
	"testing"
)

// cfiCode is code at [0x1000, 0x1020) described by one CFI, executable,
// with no symbols.
type cfiCode struct{ cfi *CFI }

func (c cfiCode) CFI(pc uint64) (*CFI, uint64, bool) {
	return c.cfi, 0, pc >= 0x1000 && pc < 0x1020
}
func (cfiCode) Executable(pc uint64) bool             { return pc >= 0x1000 && pc < 0x1020 }
func (cfiCode) FuncStart(uint64) (uint64, bool)       { return 0, false }
func (cfiCode) Outermost(uint64, bool) (string, bool) { return "", false }

// putSigtramp writes __restore_rt's code at pc and, at each sp, a ucontext
// whose saved rip is pc and saved rsp is the next sp: a chain of signal
// frames, as a corrupted (or hostile) stack can make one.
func putSigtramp(mem fakeMem, pc uint64, sps ...uint64) {
	code := append(append([]byte(nil), restoreRT...), 0, 0, 0, 0, 0, 0, 0)
	mem[pc] = binary.LittleEndian.Uint64(code[0:])
	mem[pc+8] = binary.LittleEndian.Uint64(code[8:])
	for i, sp := range sps {
		for k, n := range sigcontextRegOrder {
			var v uint64
			switch n {
			case RIP:
				v = pc
			case RSP:
				v = sps[(i+1)%len(sps)]
			}
			mem[sp+ucMcontext+uint64(8*k)] = v
		}
	}
}

// TestUnwindEndsOnCycles: memory whose saved return addresses and stack
// pointers lead back to a frame already walked ends the walk with "cycle",
// at once, not at the frame limit.
func TestUnwindEndsOnCycles(t *testing.T) {
	// A CFA rule of rsp+0 with the return address at CFA-8 (a CIE whose
	// DW_CFA_def_cfa says r7 0): the caller has the same stack pointer,
	// and the slot below it holds the function's own address.
	selfCFI := append([]byte(nil), debugFrame...)
	selfCFI[15] = 0 // the CIE's DW_CFA_def_cfa r7 8 -> r7 0
	cfi, err := NewCFI(Sections{DebugFrame: selfCFI})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mem    fakeMem
		code   Code
		pc, sp uint64
		frames int
		detail string
	}{
		{"CFI: the caller is the frame itself", fakeMem{0x7000 - 8: 0x1000}, cfiCode{cfi}, 0x1000, 0x7000, 1,
			"frame at pc 0x1000 sp 0x7000 repeats"},
		{"a signal frame that resumes itself", func() fakeMem { m := fakeMem{}; putSigtramp(m, 0x5000, 0x8000); return m }(), noCode{},
			0x5000, 0x8000, 1, "frame at pc 0x5000 sp 0x8000 repeats"},
		{"two signal frames that resume each other", func() fakeMem { m := fakeMem{}; putSigtramp(m, 0x5000, 0x8000, 0x9000); return m }(), noCode{},
			0x5000, 0x8000, 2, "frame at pc 0x5000 sp 0x8000 repeats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var regs Regs
			regs.Set(RIP, tt.pc)
			regs.Set(RSP, tt.sp)
			st := Unwind(tt.mem, tt.code, regs, Options{})
			if st.End != EndCycle || len(st.Frames) != tt.frames || !strings.Contains(st.EndDetail, tt.detail) {
				t.Errorf("%d frames, end %q (%s); want %d frames ending with %q (%s)", len(st.Frames), st.End, st.EndDetail, tt.frames, EndCycle, tt.detail)
			}
		})
	}
}

// TestUnwindCancelled: a closed Done channel ends the walk at its next
// frame, with the reason "cancelled".
func TestUnwindCancelled(t *testing.T) {
	mem := fakeMem{}
	putSigtramp(mem, 0x5000, 0x8000, 0x9000)
	done := make(chan struct{})
	close(done)
	var regs Regs
	regs.Set(RIP, 0x5000)
	regs.Set(RSP, 0x8000)
	st := Unwind(mem, noCode{}, regs, Options{Done: done})
	if st.End != EndCancelled || len(st.Frames) != 1 {
		t.Errorf("%d frames, end %q, want 1 frame, cancelled", len(st.Frames), st.End)
	}
}
