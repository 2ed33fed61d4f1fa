package stackmap

import (
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// prologueSeeds returns the first 64 bytes of every function in some
// fixture binaries (C with and without stack-clash probes, Rust with
// LLVM's probes and __rust_probestack): real prologues to mutate.
func prologueSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, name := range []string{"c-recursion", "c-stack-clash", "rust-probe-overflow", "rust-thread-overflow"} {
		f, err := elf.Open(filepath.Join(testfixture.Root(), "testdata", "cores", name, "prog"))
		if err != nil {
			tb.Fatal(err)
		}
		text := f.Section(".text")
		syms, _ := f.Symbols()
		if text == nil {
			f.Close()
			tb.Fatalf("%s has no .text", name)
		}
		data, err := text.Data()
		if err != nil {
			f.Close()
			tb.Fatal(err)
		}
		n := 0
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Value < text.Addr || s.Value >= text.Addr+uint64(len(data)) || n == 40 {
				continue
			}
			off := s.Value - text.Addr
			out = append(out, data[off:min(off+64, uint64(len(data)))])
			n++
		}
		f.Close()
	}
	return out
}

// FuzzPrologue decodes arbitrary code as a function's entry: any bytes
// give a size, never a panic or a hang, and the size is at least the
// return address. Found by this target and kept as seeds below: an
// instruction that frees stack (sub rsp,-0x10) is not part of a prologue,
// and four bytes of a truncated EVEX instruction made x/arch's decoder
// panic (internal/x86.Decode recovers it).
func FuzzPrologue(f *testing.F) {
	for _, s := range prologueSeeds(f) {
		f.Add(s, int16(-1))
	}
	f.Add([]byte{0x55, 0x48, 0x83, 0xec, 0xf0, 0x90, 0xc3}, int16(-1))                   // push rbp; sub rsp,-0x10
	f.Add([]byte{0x49, 0x89, 0xe3, 0x49, 0x83, 0xeb, 0x80, 0x48, 0x39, 0xdc}, int16(-1)) // mov r11,rsp; sub r11,-0x80; cmp rsp,r11
	f.Add([]byte{0x41, 0x57, 0x48, 0x81, 0xec, 0x00, 0x10, 0x00, 0x00}, int16(2))        // stopped inside the prologue
	f.Add([]byte("\x62\x30\x30\x30"), int16(80))                                         // a truncated EVEX prefix: x86asm.Decode panicked on it
	f.Fuzz(func(t *testing.T, code []byte, stopAt int16) {
		p := DecodePrologue(code, int(stopAt))
		if p.Size < 8 {
			t.Errorf("size %d below the return address (%s)", p.Size, p.How)
		}
		if !strings.HasPrefix(p.How, "return address 8") {
			t.Errorf("how %q", p.How)
		}
		if again := DecodePrologue(code, int(stopAt)); again != p {
			t.Errorf("two decodings differ: %+v, %+v", p, again)
		}
	})
}
