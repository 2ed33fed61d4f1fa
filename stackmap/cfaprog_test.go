package stackmap

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-delve/delve/pkg/dwarf/frame"
)

// rememberSource is the function behind the sections below (gcc -nostdlib
// -shared; the section addresses are that link's):
//
//	1000: push rbp            .cfi_def_cfa_offset 16; .cfi_offset rbp,-16
//	1001: mov rbp,rsp         .cfi_def_cfa_register rbp
//	1004: test edi,edi
//	1006: je 100a
//	1008: pop rbp             .cfi_remember_state
//	1009: ret                 .cfi_def_cfa rsp,8
//	100a: mov eax,1           .cfi_restore_state
//	100f: pop rbp
//	1010: ret                 .cfi_def_cfa rsp,8
//
// At 0x100a the early return's epilogue is over: restore_state must bring
// back the CFA rule (rbp+16), not only the register rules, or the caller's
// frame is read 8 bytes off.

// rememberEHFrameHdr is its .eh_frame_hdr at 0x2000: version 1,
// eh_frame_ptr pcrel|sdata4 (0x1b), fde_count udata4 (0x03), table
// datarel|sdata4 (0x3b); one entry: 0x1000 -> FDE at 0x2030.
var rememberEHFrameHdr = []byte{
	0x01, 0x1b, 0x03, 0x3b, 0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0xf0, 0xff, 0xff, 0x30, 0x00, 0x00, 0x00,
}

// rememberEHFrame is its .eh_frame at 0x2018, as readelf -wf decodes it:
//
//	00000000 0000000000000014 00000000 CIE
//	  Version: 1  Augmentation: "zR"  Code alignment factor: 1
//	  Data alignment factor: -8  Return address column: 16
//	  Augmentation data: 1b
//	  DW_CFA_def_cfa: r7 (rsp) ofs 8
//	  DW_CFA_offset: r16 (rip) at cfa-8
//	  DW_CFA_nop; DW_CFA_nop
//	00000018 0000000000000024 0000001c FDE cie=00000000 pc=0000000000001000..0000000000001011
//	  41     DW_CFA_advance_loc: 1 to 0000000000001001
//	  0e 10  DW_CFA_def_cfa_offset: 16
//	  86 02  DW_CFA_offset: r6 (rbp) at cfa-16
//	  43     DW_CFA_advance_loc: 3 to 0000000000001004
//	  0d 06  DW_CFA_def_cfa_register: r6 (rbp)
//	  44     DW_CFA_advance_loc: 4 to 0000000000001008
//	  0a     DW_CFA_remember_state
//	  41     DW_CFA_advance_loc: 1 to 0000000000001009
//	  0c 07 08  DW_CFA_def_cfa: r7 (rsp) ofs 8
//	  41     DW_CFA_advance_loc: 1 to 000000000000100a
//	  0b     DW_CFA_restore_state
//	  46     DW_CFA_advance_loc: 6 to 0000000000001010
//	  0c 07 08  DW_CFA_def_cfa: r7 (rsp) ofs 8
//	  DW_CFA_nop ×3
var rememberEHFrame = []byte{
	0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x7a, 0x52, 0x00,
	0x01, 0x78, 0x10, 0x01, 0x1b, 0x0c, 0x07, 0x08, 0x90, 0x01, 0x00, 0x00,
	0x24, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0xc8, 0xef, 0xff, 0xff,
	0x11, 0x00, 0x00, 0x00, 0x00, 0x41, 0x0e, 0x10, 0x86, 0x02, 0x43, 0x0d,
	0x06, 0x44, 0x0a, 0x41, 0x0c, 0x07, 0x08, 0x41, 0x0b, 0x46, 0x0c, 0x07,
	0x08, 0x00, 0x00, 0x00,
}

// rememberDebugFrame is the same function's .debug_frame (.cfi_sections
// .debug_frame), as readelf -wf decodes it:
//
//	00000000 0000000000000014 ffffffff CIE
//	  Version: 1  Augmentation: ""  Code alignment factor: 1
//	  Data alignment factor: -8  Return address column: 16
//	  DW_CFA_def_cfa: r7 (rsp) ofs 8
//	  DW_CFA_offset: r16 (rip) at cfa-8
//	  DW_CFA_nop ×6
//	00000018 000000000000002c 00000000 FDE cie=00000000 pc=0000000000001000..0000000000001011
//	  (the same program as in .eh_frame), DW_CFA_nop ×4
var rememberDebugFrame = []byte{
	0x14, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x01, 0x78,
	0x10, 0x0c, 0x07, 0x08, 0x90, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x41, 0x0e, 0x10, 0x86, 0x02, 0x43, 0x0d, 0x06, 0x44, 0x0a, 0x41, 0x0c,
	0x07, 0x08, 0x41, 0x0b, 0x46, 0x0c, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00,
}

// TestRememberRestoreState runs the program above through each way a
// module can carry it: .eh_frame with its header, .eh_frame alone, and
// .debug_frame. Every row must be the one readelf's decoding implies.
func TestRememberRestoreState(t *testing.T) {
	type want struct {
		pc     uint64
		cfaReg uint64
		cfaOff int64
		rbp    ruleKind // the rule for rbp
	}
	rows := []want{
		{0x1000, RSP, 8, ruleUnset},
		{0x1001, RSP, 16, ruleOffset},
		{0x1004, RBP, 16, ruleOffset},
		{0x1008, RBP, 16, ruleOffset}, // remember_state here
		{0x1009, RSP, 8, ruleOffset},  // after pop rbp
		{0x100a, RBP, 16, ruleOffset}, // restore_state: the CFA rule is back
		{0x100f, RBP, 16, ruleOffset},
		{0x1010, RSP, 8, ruleOffset},
	}
	for _, s := range []struct {
		name string
		sec  Sections
	}{
		{".eh_frame with .eh_frame_hdr", Sections{EHFrame: rememberEHFrame, EHFrameAddr: 0x2018, EHFrameHdr: rememberEHFrameHdr, EHFrameHdrAddr: 0x2000}},
		{".eh_frame alone", Sections{EHFrame: rememberEHFrame, EHFrameAddr: 0x2018}},
		{".debug_frame", Sections{DebugFrame: rememberDebugFrame}},
	} {
		t.Run(s.name, func(t *testing.T) {
			c, err := NewCFI(s.sec)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range rows {
				e := c.lookup(w.pc)
				if e.err != nil {
					t.Fatalf("%#x: %v", w.pc, e.err)
				}
				r := e.row
				if r.cfaExpr != nil || r.cfaReg != w.cfaReg || r.cfaOff != w.cfaOff || r.regs[RBP].kind != w.rbp {
					t.Errorf("%#x: CFA r%d%+d, rbp rule %d; want CFA r%d%+d, rbp rule %d",
						w.pc, r.cfaReg, r.cfaOff, r.regs[RBP].kind, w.cfaReg, w.cfaOff, w.rbp)
				}
				if w.rbp == ruleOffset && r.regs[RBP].off != -16 {
					t.Errorf("%#x: rbp at cfa%+d, want cfa-16", w.pc, r.regs[RBP].off)
				}
			}
			if e := c.lookup(0x1011); e.err != errNoFDE {
				t.Errorf("0x1011, past the FDE: %v", e.err)
			}
			if fi, ok := c.FrameInfo(0x1004); !ok || fi.CFASize != 16 || !fi.Partial {
				t.Errorf("FrameInfo = %+v, %v; want CFASize 16, Partial", fi, ok)
			}
		})
	}
}

// TestDecodeCFA decodes one instruction of each operand shape through the
// operand table; the decodings are readelf -wf's (data alignment -8).
func TestDecodeCFA(t *testing.T) {
	tests := []struct {
		hex  string
		name string // readelf's decoding
		want cfaInsn
	}{
		{"\x41", "DW_CFA_advance_loc: 1", cfaInsn{op: DW_CFA_advance_loc, u: 1}},
		{"\x86\x02", "DW_CFA_offset: r6 (rbp) at cfa-16", cfaInsn{op: DW_CFA_offset, reg: 6, u: 2}},
		{"\xc6", "DW_CFA_restore: r6 (rbp)", cfaInsn{op: DW_CFA_restore, reg: 6}},
		{"\x0c\x07\x08", "DW_CFA_def_cfa: r7 (rsp) ofs 8", cfaInsn{op: DW_CFA_def_cfa, reg: 7, u: 8}},
		{"\x0e\x98\xe0\x08", "DW_CFA_def_cfa_offset: 143384", cfaInsn{op: DW_CFA_def_cfa_offset, u: 143384}},
		{"\x02\x6b", "DW_CFA_advance_loc1: 107", cfaInsn{op: DW_CFA_advance_loc1, u: 107}},
		{"\x03\x00\x01", "DW_CFA_advance_loc2: 256", cfaInsn{op: DW_CFA_advance_loc2, u: 256}},
		{"\x04\x00\x00\x01\x00", "DW_CFA_advance_loc4: 65536", cfaInsn{op: DW_CFA_advance_loc4, u: 65536}},
		{"\x09\x10\x00", "DW_CFA_register: r16 (rip) in r0 (rax)", cfaInsn{op: DW_CFA_register, reg: 16, u: 0}},
		{"\x11\x06\x7e", "DW_CFA_offset_extended_sf: r6 (rbp) at cfa+16", cfaInsn{op: DW_CFA_offset_extended_sf, reg: 6, s: -2}},
		{"\x13\x7e", "DW_CFA_def_cfa_offset_sf: 16", cfaInsn{op: DW_CFA_def_cfa_offset_sf, s: -2}},
		{"\x0f\x03\x77\x08\x06", "DW_CFA_def_cfa_expression (DW_OP_breg7 (rsp): 8; DW_OP_deref)",
			cfaInsn{op: DW_CFA_def_cfa_expression, expr: []byte{0x77, 0x08, 0x06}}},
		{"\x10\x06\x02\x76\x00", "DW_CFA_expression: r6 (rbp) (DW_OP_breg6 (rbp): 0)",
			cfaInsn{op: DW_CFA_expression, reg: 6, expr: []byte{0x76, 0x00}}},
		{"\x2e\x10", "DW_CFA_GNU_args_size: 16", cfaInsn{op: DW_CFA_GNU_args_size, u: 16}},
		{"\x01\x00\x10\x00\x00\x00\x00\x00\x00", "DW_CFA_set_loc: 0x1000", cfaInsn{op: DW_CFA_set_loc, u: 0x1000}},
	}
	for _, tt := range tests {
		rd := &reader{b: []byte(tt.hex)}
		got, err := decodeCFA(rd)
		if err != nil || rd.off != len(tt.hex) || got.op != tt.want.op || got.reg != tt.want.reg || got.u != tt.want.u ||
			got.s != tt.want.s || !bytes.Equal(got.expr, tt.want.expr) {
			t.Errorf("% x (%s): %+v, %v, %d of %d bytes; want %+v", tt.hex, tt.name, got, err, rd.off, len(tt.hex), tt.want)
		}
		if n := cfaOpName(got.op); len(tt.name) < len(n) || tt.name[:len(n)] != n {
			t.Errorf("% x: named %s, readelf says %s", tt.hex, n, tt.name)
		}
	}
}

// TestDebugFrameMatchesDelve checks the interpreter against delve's
// pkg/dwarf/frame on a real .debug_frame: a Go program's, written by the Go
// linker (go test links its own binary without DWARF, so one is built). For
// PCs across the FDEs, both must give the same CFA rule and the same rule
// for the return address.
func TestDebugFrameMatchesDelve(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "prog")
	cmd := exec.Command("go", "build", "-o", exe, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(".debug_frame")
	if sec == nil {
		t.Fatal("a Go program built without -ldflags=-w has no .debug_frame")
	}
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCFI(Sections{DebugFrame: data})
	if err != nil {
		t.Fatal(err)
	}
	fdes, err := frame.Parse(data, binary.LittleEndian, 0, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(fdes) < 100 {
		t.Fatalf("delve found %d FDEs", len(fdes))
	}
	compared := 0
	for i, fd := range fdes {
		if i%7 != 0 || fd.End() <= fd.Begin() {
			continue
		}
		for _, pc := range []uint64{fd.Begin(), fd.Begin() + (fd.End()-fd.Begin())/2, fd.End() - 1} {
			fc, err := fd.EstablishFrame(pc)
			if err != nil {
				continue
			}
			e := c.lookup(pc)
			if e.err != nil {
				t.Fatalf("%#x: delve has a row, coreview: %v", pc, e.err)
			}
			r := e.row
			if fc.CFA.Rule != frame.RuleCFA || r.cfaExpr != nil || fc.CFA.Reg != r.cfaReg || fc.CFA.Offset != r.cfaOff {
				t.Fatalf("%#x: CFA r%d%+d, delve's rule %d r%d%+d", pc, r.cfaReg, r.cfaOff, fc.CFA.Rule, fc.CFA.Reg, fc.CFA.Offset)
			}
			ra := fc.Regs[fc.RetAddrReg]
			if r.raReg != fc.RetAddrReg || ra.Rule == frame.RuleOffset && (r.regs[r.raReg].kind != ruleOffset || r.regs[r.raReg].off != ra.Offset) {
				t.Fatalf("%#x: return address r%d rule %+v, delve's r%d %+v", pc, r.raReg, r.regs[r.raReg], fc.RetAddrReg, ra)
			}
			compared++
		}
	}
	t.Logf("%d PCs in %d FDEs agree with delve", compared, len(fdes))
	if compared < 100 {
		t.Errorf("only %d PCs compared", compared)
	}
}
