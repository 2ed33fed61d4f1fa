package stackmap

import (
	"debug/elf"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// ehSections reads a fixture binary's .eh_frame_hdr and .eh_frame.
func ehSections(tb testing.TB, name string) (hdr []byte, hdrAddr uint64, eh []byte, ehAddr uint64) {
	return ehSectionsOf(tb, filepath.Join(testfixture.Root(), "testdata", "cores", name, "prog"))
}

// ehSectionsOf reads the .eh_frame_hdr and .eh_frame of the ELF file at path.
func ehSectionsOf(tb testing.TB, path string) (hdr []byte, hdrAddr uint64, eh []byte, ehAddr uint64) {
	f, err := elf.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	h, e := f.Section(".eh_frame_hdr"), f.Section(".eh_frame")
	if h == nil || e == nil {
		tb.Fatalf("%s has no .eh_frame_hdr or .eh_frame", path)
	}
	hdr, _ = h.Data()
	eh, _ = e.Data()
	return hdr, h.Addr, eh, e.Addr
}

// FuzzEHFrame mutates a real .eh_frame_hdr/.eh_frame pair and looks up
// rows: any input gives rows or errors, never a panic or a hang. The input
// is the header's length (2 bytes), the header, then .eh_frame.
func FuzzEHFrame(f *testing.F) {
	for _, name := range []string{"c-recursion", "rust-thread-overflow", "musl-relr"} {
		hdr, _, eh, _ := ehSections(f, name)
		seed := binary.LittleEndian.AppendUint16(nil, uint16(len(hdr)))
		f.Add(append(append(seed, hdr...), eh...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n := int(binary.LittleEndian.Uint16(data))
		if n > len(data)-2 {
			return
		}
		hdr, eh := data[2:2+n], data[2+n:]
		c, _ := NewCFI(Sections{EHFrame: eh, EHFrameAddr: 0x2000, EHFrameHdr: hdr, EHFrameHdrAddr: 0x1000})
		var regs Regs
		regs.Set(RSP, 0x7000)
		for pc := uint64(0x1000); pc < 0x1400; pc += 0x13 {
			c.step(pc, &regs, fakeMem{0x7000: 0x1234})
			c.FrameInfo(pc)
		}
	})
}

// FuzzCFAProgram runs arbitrary CFA instructions through the interpreter
// and the frame-size walker.
func FuzzCFAProgram(f *testing.F) {
	f.Add(debugFrame[13:18], debugFrame[40:49])
	f.Add([]byte{0x0c, 7, 8, 0x90, 1}, []byte{0x0a, 0x0a, 0x0b, 0x0e, 0x80, 0x80, 0x04, 0x0f, 0x03, 0x77, 0x08, 0x06})
	f.Fuzz(func(t *testing.T, initial, insns []byte) {
		c := &cie{codeAlign: 1, dataAlign: -8, raReg: RIP, initial: initial}
		fd := &fde{begin: 0x1000, end: 0x2000, cie: c, insns: insns}
		for _, pc := range []uint64{0x1000, 0x1001, 0x1010, 0x1fff} {
			runCFA(c, fd, pc)
		}
		maxRSPOffset(c, insns)
	})
}

// FuzzDebugFrame mutates whole .debug_frame (and header-less .eh_frame)
// sections: indexing and lookups give rows or errors, never a panic.
func FuzzDebugFrame(f *testing.F) {
	f.Add(debugFrame)
	f.Add(rememberDebugFrame)
	f.Add(rememberEHFrame)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range []Sections{{DebugFrame: data}, {EHFrame: data, EHFrameAddr: 0x2018}} {
			c, _ := NewCFI(s)
			var regs Regs
			regs.Set(RSP, 0x7000)
			for pc := uint64(0x1000); pc < 0x1040; pc += 3 {
				c.step(pc, &regs, fakeMem{0x7000: 0x1234})
				c.FrameInfo(pc)
			}
		}
	})
}
