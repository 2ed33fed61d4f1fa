package symbolize

import (
	"debug/elf"
	"testing"
)

func TestLoadBias(t *testing.T) {
	load := func(off, vaddr uint64) elf.ProgHeader {
		return elf.ProgHeader{Type: elf.PT_LOAD, Off: off, Vaddr: vaddr}
	}
	tests := []struct {
		name       string
		progs      []elf.ProgHeader
		start, off uint64
		want       uint64
		wantErr    bool
	}{
		// gcc -no-pie: ET_EXEC linked at 0x400000, mapped where linked.
		{"ET_EXEC text", []elf.ProgHeader{load(0, 0x400000), load(0x1000, 0x401000)}, 0x401000, 0x1000, 0, false},
		// gcc default PIE: ET_DYN linked at 0, loaded at a random base.
		{"PIE first segment", []elf.ProgHeader{load(0, 0), load(0x1000, 0x1000)}, 0x55d0c8a00000, 0, 0x55d0c8a00000, false},
		{"PIE text segment", []elf.ProgHeader{load(0, 0), load(0x1000, 0x1000)}, 0x55d0c8a01000, 0x1000, 0x55d0c8a00000, false},
		// libc: data segment whose p_offset and p_vaddr are not page aligned
		// and differ (vaddr = off + 0x1000 gap).
		{"shared object data", []elf.ProgHeader{load(0, 0), load(0x1d2a90, 0x1d3a90)}, 0x7f0fc4432000, 0x1d2000, 0x7f0fc425f000, false},
		// static-pie: ET_DYN without an interpreter, same formula.
		{"static-pie", []elf.ProgHeader{load(0, 0), load(0x1000, 0x1000)}, 0x7ffff7ff9000, 0x1000, 0x7ffff7ff8000, false},
		{"no segment at offset", []elf.ProgHeader{load(0, 0)}, 0x1000, 0x5000, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadBias(tt.progs, tt.start, tt.off, 4096)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("bias = %#x, want %#x", got, tt.want)
			}
		})
	}
}

// TestRuntimeAddr: RuntimeAddr and FileAddr convert between the two address
// spaces and undo each other, for an ET_EXEC (bias 0), a PIE and a library.
func TestRuntimeAddr(t *testing.T) {
	for _, tt := range []struct {
		name           string
		bias           uint64
		fileAddr, addr uint64
	}{
		{"ET_EXEC", 0, 0x401136, 0x401136},
		{"PIE", 0x55d0c8a00000, 0x1139, 0x55d0c8a01139},
		{"shared object data", 0x7f0fc425f000, 0x1d3a90, 0x7f0fc4432a90},
	} {
		m := &Module{Bias: tt.bias}
		if got := m.RuntimeAddr(tt.fileAddr); got != tt.addr {
			t.Errorf("%s: RuntimeAddr(%#x) = %#x, want %#x", tt.name, tt.fileAddr, got, tt.addr)
		}
		if got := m.FileAddr(tt.addr); got != tt.fileAddr {
			t.Errorf("%s: FileAddr(%#x) = %#x, want %#x", tt.name, tt.addr, got, tt.fileAddr)
		}
	}
}
