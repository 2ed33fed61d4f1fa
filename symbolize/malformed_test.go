package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestSymbolNamesOutsideStringTable points every .symtab entry's name
// past the end of .strtab: those symbols are dropped, the .dynsym ones
// stay, and nothing reads out of bounds.
func TestSymbolNamesOutsideStringTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testfixture.Root(), "testdata", "cores", "c-null-call", "prog"))
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	before := (&Module{elf: ef}).Symbols()
	st := ef.Section(".symtab")
	for off := st.Offset + elfSymSize; off+elfSymSize <= st.Offset+st.Size; off += elfSymSize {
		binary.LittleEndian.PutUint32(data[off:], 0xfffffff0)
	}
	ef, err = elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	m := &Module{elf: ef}
	after := m.Symbols()
	if len(after) == 0 || len(after) >= len(before) {
		t.Errorf("%d symbols before, %d after: want fewer, from .dynsym only", len(before), len(after))
	}
	if _, ok := m.LookupName("apply"); ok {
		t.Error("a symbol whose name lies outside the string table was kept")
	}
}
