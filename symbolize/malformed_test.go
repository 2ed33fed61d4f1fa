package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestCorruptSymbolTables damages the c-null-call fixture's binary one
// structure at a time. Symbols whose names lie outside their string table
// are dropped and SymtabError says so with a *FormatError naming the
// section and the file offset of the first such entry; a symbol table whose
// string table is missing or out of the file is skipped. The other table
// stays usable and nothing reads out of bounds.
func TestCorruptSymbolTables(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testfixture.Root(), "testdata", "cores", "c-null-call", "prog"))
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	before := len((&Module{elf: ef}).Symbols())
	le := binary.LittleEndian
	index := func(name string) int {
		for i, s := range ef.Sections {
			if s.Name == name {
				return i
			}
		}
		t.Fatalf("no %s", name)
		return 0
	}
	// shdr returns the bytes of section header i (Elf64_Shdr, 64 bytes).
	shdr := func(b []byte, i int) []byte {
		shoff := le.Uint64(b[40:])
		return b[shoff+uint64(i)*64:]
	}
	symtab, dynsym := ef.Section(".symtab"), ef.Section(".dynsym")
	strtabSize, dynstrSize := ef.Sections[symtab.Link].Size, ef.Sections[dynsym.Link].Size
	names := func(b []byte, s *elf.Section, v uint32) {
		for off := s.Offset + elfSymSize; off+elfSymSize <= s.Offset+s.Size; off += elfSymSize {
			le.PutUint32(b[off:], v)
		}
	}
	tests := []struct {
		name    string
		damage  func(b []byte)
		section string
		off     uint64
		msg     string
		keep    string // a symbol that must survive
		gone    string // a symbol that must not
	}{
		{".symtab names far past .strtab", func(b []byte) { names(b, symtab, 0xfffffff0) },
			".symtab", symtab.Offset + elfSymSize, "symbol name offset is past the end of the", "", "apply"},
		{".symtab names just past .strtab", func(b []byte) { names(b, symtab, uint32(strtabSize)) },
			".symtab", symtab.Offset + elfSymSize, "'" + strconv.FormatUint(strtabSize, 10) + "'", "", "apply"},
		{".dynsym names past .dynstr", func(b []byte) { names(b, dynsym, uint32(dynstrSize)+5) },
			".dynsym", dynsym.Offset + elfSymSize, "string table", "apply", ""},
		{".symtab's string table index out of range", func(b []byte) { le.PutUint32(shdr(b, index(".symtab"))[40:], 0xffff) },
			"", 0, "", "", "apply"},
		{".strtab beyond the end of the file", func(b []byte) { le.PutUint64(shdr(b, int(symtab.Link))[24:], 1<<40) },
			"", 0, "", "", "apply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte(nil), data...)
			tt.damage(b)
			ef, err := elf.NewFile(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			m := &Module{elf: ef}
			after := len(m.Symbols())
			err = m.SymtabError()
			if tt.section == "" {
				if err != nil {
					t.Errorf("SymtabError = %v, want nil: the table is skipped whole", err)
				}
			} else {
				var fe *FormatError
				if !errors.As(err, &fe) || fe.Section != tt.section || fe.Off != tt.off || !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("SymtabError = %v, want a *FormatError in %s at %#x mentioning %q", err, tt.section, tt.off, tt.msg)
				}
			}
			// The executable's .dynsym defines no functions, so only
			// damage to .symtab changes the count.
			if after == 0 || after > before || tt.section != ".dynsym" && after == before {
				t.Errorf("%d symbols before, %d after: want fewer, but some", before, after)
			}
			if _, ok := m.LookupName(tt.gone); tt.gone != "" && ok {
				t.Errorf("%s survived", tt.gone)
			}
			if _, ok := m.LookupName(tt.keep); tt.keep != "" && !ok {
				t.Errorf("%s was lost", tt.keep)
			}
		})
	}
	if err := (&Module{elf: ef}).SymtabError(); err != nil {
		t.Errorf("undamaged: %v", err)
	}
}
