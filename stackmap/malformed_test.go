package stackmap

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/go-delve/delve/pkg/dwarf/op"
)

// TestCorruptEHFrame damages a real .eh_frame_hdr/.eh_frame pair (the
// c-recursion fixture's) in one place at a time: each lookup fails with a
// *FormatError that names the section, the offset of the broken structure
// and what broke, never a panic, and undamaged FDEs stay usable.
func TestCorruptEHFrame(t *testing.T) {
	hdr, hdrAddr, eh, ehAddr := ehSections(t, "c-recursion")
	good, err := newEHFrame(eh, ehAddr, hdr, hdrAddr)
	if err != nil {
		t.Fatal(err)
	}
	// The first search-table entry: an FDE and the PC it starts at.
	pc, fdeAddr := good.entry(0)
	if _, err := good.find(pc); err != nil {
		t.Fatalf("undamaged lookup: %v", err)
	}
	fdeOff := int(fdeAddr - ehAddr)
	// The search table starts after version, 3 encodings, eh_frame_ptr and
	// fde_count (4 bytes each with sdata4/udata4).
	const table = 12
	tests := []struct {
		name    string
		hdr, eh func(h, e []byte)
		section string
		off     int
		want    string
	}{
		{"header version", func(h, e []byte) { h[0] = 7 }, nil, ".eh_frame_hdr", 0, "unsupported .eh_frame_hdr version '7'"},
		{"search table encoding", func(h, e []byte) { h[3] = 0x09 }, nil, ".eh_frame_hdr", 3, "search table encoding has no fixed size '0x9'"},
		{"table count beyond the header", func(h, e []byte) { binary.LittleEndian.PutUint32(h[8:], 1<<30) }, nil,
			".eh_frame_hdr", table, "search table claims 1073741824 entries"},
		{"table entry outside .eh_frame", func(h, e []byte) { binary.LittleEndian.PutUint32(h[table+4:], 0x7fffffff) }, nil,
			".eh_frame_hdr", table, "search table entry 0 points outside .eh_frame"},
		{"FDE length past the section", nil, func(h, e []byte) { binary.LittleEndian.PutUint32(e[fdeOff:], 1<<30) },
			".eh_frame", fdeOff, "entry length runs past the section"},
		{"FDE length zero", nil, func(h, e []byte) { binary.LittleEndian.PutUint32(e[fdeOff:], 0) },
			".eh_frame", fdeOff, "terminator"},
		{"CIE pointer before the section", nil, func(h, e []byte) { binary.LittleEndian.PutUint32(e[fdeOff+4:], 1<<30) },
			".eh_frame", fdeOff, "FDE has a bad CIE pointer '0x40000000'"},
		{"CIE pointer at an FDE", nil, func(h, e []byte) {
			binary.LittleEndian.PutUint32(e[fdeOff+4:], 4) // points at this FDE itself
		}, ".eh_frame", fdeOff, "the entry is not a CIE"},
		{"CIE version", nil, func(h, e []byte) {
			cie := fdeOff + 4 - int(binary.LittleEndian.Uint32(e[fdeOff+4:]))
			e[cie+8] = 9
		}, ".eh_frame", fdeOff, "unsupported CIE version '9'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, e := append([]byte(nil), hdr...), append([]byte(nil), eh...)
			if tt.hdr != nil {
				tt.hdr(h, e)
			}
			if tt.eh != nil {
				tt.eh(h, e)
			}
			ef, err := newEHFrame(e, ehAddr, h, hdrAddr)
			if err == nil {
				_, err = ef.find(pc)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a *FormatError", err, err)
			}
			if fe.Section != tt.section || fe.Off != int64(tt.off) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q (%s at %#x), want %s at %#x mentioning %q", err, fe.Section, fe.Off, tt.section, tt.off, tt.want)
			}
		})
	}
}

// TestCorruptCFAPrograms: programs that nest remember_state without end,
// restore what was never remembered, run off their end mid-operand, or use
// an unknown opcode give a *FormatError at the offending instruction, which
// wraps errCFAProgram.
func TestCorruptCFAPrograms(t *testing.T) {
	c := &cie{codeAlign: 1, dataAlign: -8, raReg: RIP, initial: []byte{0x0c, 7, 8, 0x90, 1}}
	deep := make([]byte, maxRememberDepth+1)
	for i := range deep {
		deep[i] = DW_CFA_remember_state
	}
	tests := []struct {
		name  string
		insns []byte
		off   int64
		want  string
	}{
		{"remember_state too deep", deep, maxRememberDepth, "DW_CFA_remember_state nested deeper than 64"},
		{"restore without remember", []byte{DW_CFA_nop, DW_CFA_restore_state}, 1, "DW_CFA_restore_state without remember_state"},
		{"truncated uleb", []byte{DW_CFA_def_cfa_offset, 0x80, 0x80}, 0, "operand of DW_CFA_def_cfa_offset: truncated"},
		{"truncated block", []byte{DW_CFA_nop, DW_CFA_def_cfa_expression, 10, 1, 2}, 1, "operand of DW_CFA_def_cfa_expression: truncated"},
		{"unknown opcode", []byte{DW_CFA_nop, DW_CFA_nop, 0x3e}, 2, "unknown opcode '0x3e'"},
	}
	for _, tt := range tests {
		_, err := runCFA(c, &fde{begin: 0x1000, end: 0x1100, cie: c, insns: tt.insns}, 0x1050)
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, errCFAProgram) {
			t.Errorf("%s: err = %v, want a *FormatError wrapping errCFAProgram", tt.name, err)
			continue
		}
		if fe.Section != "FDE instructions" || fe.Off != tt.off || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %q (%s at %d), want FDE instructions at %d mentioning %q", tt.name, err, fe.Section, fe.Off, tt.off, tt.want)
		}
	}
	// The same in a CIE's initial instructions.
	bad := &cie{codeAlign: 1, dataAlign: -8, raReg: RIP, initial: []byte{0x0c, 7, 8, DW_CFA_restore_state}}
	_, err := runCFA(bad, &fde{begin: 0x1000, end: 0x1100, cie: bad}, 0x1050)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Section != "CIE initial instructions" || fe.Off != 3 {
		t.Errorf("CIE: err = %v", err)
	}
}

// TestLoopingExpressions: delve's evaluator ends a looping DWARF expression
// after a step budget and returns the top of its stack without an error;
// coreview refuses backward branches (and other malformed expressions)
// before running it, so a loop ends with an error, and the CFA expressions
// real code uses still evaluate.
func TestLoopingExpressions(t *testing.T) {
	// DW_OP_breg7 0; DW_OP_skip -5: pushes rsp forever.
	loop := []byte{0x77, 0x00, 0x2f, 0xfb, 0xff}
	dr := op.NewDwarfRegisters(0, []*op.DwarfRegister{7: {Uint64Val: 0x7000}}, binary.LittleEndian, RIP, RSP, RBP, 0)
	// delve's evaluator ends the loop silently with rsp on top: the check
	// is what makes it an error. If a delve upgrade changes that, revisit
	// checkExpr's branch rule.
	if v, _, err := op.ExecuteStackProgram(*dr, loop, 8, nil); err != nil || v != 0x7000 {
		t.Fatalf("delve's evaluator on a looping expression: %#x, %v; it used to return 0x7000 without an error", v, err)
	}
	tests := []struct {
		name string
		expr []byte
		off  int64
		want string
	}{
		{"skip back to the start", loop, 2, "DW_OP_skip jumps back to offset 0: the expression could loop"},
		{"skip to itself", []byte{0x2f, 0xfd, 0xff}, 0, "DW_OP_skip jumps back to offset 0"},
		{"bra back", []byte{0x31, 0x31, 0x28, 0xfc, 0xff}, 2, "DW_OP_bra jumps back to offset 1"},
		{"skip into an operand", []byte{0x2f, 0x01, 0x00, 0x77, 0x08}, 0, "jumps into the middle of an operation at offset 4"},
		{"implicit_value longer than the expression", []byte{0x9e, 0x80, 0x80, 0x80, 0x80, 0x10}, 0, "operand of operation 0x9e runs past the end"},
		{"truncated skip", []byte{0x30, 0x2f, 0x01}, 1, "operand of operation 0x2f runs past the end"},
		{"unsupported operation", []byte{0x30, 0xe0}, 1, "unsupported operation '0xe0'"},
	}
	var regs Regs
	regs.Set(RSP, 0x7000)
	regs.Set(RIP, 0x1005)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// As a CFA rule, the way the unwinder meets it.
			c := &CFI{cache: map[uint64]*cfiRow{0x1000: {row: row{cfaExpr: tt.expr, raReg: RIP}}}}
			c.cache[0x1000].row.regs[RIP] = regRule{kind: ruleOffset, off: -8}
			_, _, _, err := c.step(0x1000, &regs, fakeMem{0x6ff8: 0x401000})
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Section != "DWARF expression" || fe.Off != tt.off || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a DWARF expression error at %d mentioning %q", err, tt.off, tt.want)
			}
		})
	}
	// glibc's PLT rule: DW_OP_breg7 8; DW_OP_breg16 0; DW_OP_lit15;
	// DW_OP_and; DW_OP_lit11; DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus
	// (rsp+8, plus 8 past the PLT entry's push), and a forward skip.
	for expr, want := range map[string]uint64{
		"\x77\x08\x80\x00\x3f\x1a\x3b\x2a\x33\x24\x22": 0x7000 + 8,
		"\x77\x08\x2f\x01\x00\x3f\x23\x08":             0x7000 + 16,
	} {
		if v, err := evalExpr([]byte(expr), &regs, fakeMem{}, 0); err != nil || v != want {
			t.Errorf("% x = %#x, %v; want %#x", expr, v, err, want)
		}
	}
}
