package symbolize

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// FuzzSymtab mutates real ELF binaries and reads their symbols, PLT
// entries, relocations and link facts: never a panic.
func FuzzSymtab(f *testing.F) {
	for _, name := range []string{"c-null-call", "musl-relr"} {
		b, err := os.ReadFile(filepath.Join(testfixture.Root(), "testdata", "cores", name, "prog"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ef, err := elf.NewFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		m := &Module{Path: "fuzz", elf: ef}
		for _, a := range []uint64{0, 0x1000, 0x1139, 0x2000, 0x3fe0} {
			s, ok := m.Lookup(a)
			if start, startOK := m.LookupStart(a); start != s.Addr || startOK != ok {
				t.Fatalf("LookupStart(%#x) = %#x, %v; Lookup gave %#x, %v", a, start, startOK, s.Addr, ok)
			}
			m.LookupObject(a)
			m.RelocAt(a)
			m.SectionAt(a)
		}
		m.LookupName("main")
		m.Facts()
		m.RELR()
		fileBuildID(ef)
	})
}
