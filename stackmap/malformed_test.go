package stackmap

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// TestCorruptEHFrame damages a real .eh_frame_hdr/.eh_frame pair (the
// c-recursion fixture's) in one place at a time: each lookup fails with an
// error that names the structure, never a panic, and undamaged FDEs stay
// usable.
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
	tests := []struct {
		name    string
		hdr, eh func(h, e []byte)
		want    string
	}{
		{"header version", func(h, e []byte) { h[0] = 7 }, nil, ".eh_frame_hdr version"},
		{"table count beyond the header", func(h, e []byte) { binary.LittleEndian.PutUint32(h[8:], 1<<30) }, nil, "claims"},
		{"FDE length past the section", nil, func(h, e []byte) { binary.LittleEndian.PutUint32(e[fdeOff:], 1<<30) }, "runs past the section"},
		{"FDE length zero", nil, func(h, e []byte) { binary.LittleEndian.PutUint32(e[fdeOff:], 0) }, "terminator"},
		{"CIE pointer before the section", nil, func(h, e []byte) { binary.LittleEndian.PutUint32(e[fdeOff+4:], 1<<30) }, "bad CIE pointer"},
		{"CIE pointer at an FDE", nil, func(h, e []byte) {
			binary.LittleEndian.PutUint32(e[fdeOff+4:], 4) // points at this FDE itself
		}, "not a CIE"},
		{"table entry outside .eh_frame", func(h, e []byte) {
			// The table starts after version, 3 encodings, eh_frame_ptr
			// and fde_count (4 bytes each with sdata4/udata4).
			binary.LittleEndian.PutUint32(h[12+4:], 0x7fffffff)
		}, nil, "outside .eh_frame"},
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
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestCorruptCFAPrograms: programs that nest remember_state without end,
// restore what was never remembered, run off their end mid-operand, or use
// an unknown opcode give errCFAProgram.
func TestCorruptCFAPrograms(t *testing.T) {
	c := &cie{codeAlign: 1, dataAlign: -8, raReg: RIP, initial: []byte{0x0c, 7, 8, 0x90, 1}}
	deep := make([]byte, maxRememberDepth+1)
	for i := range deep {
		deep[i] = cfaRememberState
	}
	for name, insns := range map[string][]byte{
		"remember_state too deep":  deep,
		"restore without remember": {cfaRestoreState},
		"truncated uleb":           {cfaDefCFAOffset, 0x80, 0x80},
		"truncated block":          {cfaDefCFAExpression, 10, 1, 2},
		"unknown opcode":           {0x3e},
	} {
		_, err := runCFA(c, &fde{begin: 0x1000, end: 0x1100, cie: c, insns: insns}, 0x1050)
		if !errors.Is(err, errCFAProgram) {
			t.Errorf("%s: err = %v, want errCFAProgram", name, err)
		}
	}
}
