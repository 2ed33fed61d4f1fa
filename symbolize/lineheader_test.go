package symbolize

import (
	"debug/dwarf"
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestCheckLineHeaderRealTables: every unit's line table in glibc's debug
// file (DWARF 5, MD5 entries, line_strp names), the c-inline program
// (DWARF 5) and the rust-inline program (DWARF 4, zlib) passes the check,
// so no real table loses its lines to it.
func TestCheckLineHeaderRealTables(t *testing.T) {
	for _, path := range []string{
		filepath.Join(testfixture.Sysroot(), "usr/lib/debug/.build-id/93/ac61ec5a8eb1396f9fbd350e3169a558528a40.debug"),
		filepath.Join(testfixture.Root(), "testdata/cores/c-inline/prog"),
		filepath.Join(testfixture.Root(), "testdata/cores/rust-inline/prog"),
	} {
		ef, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		d, _, line, err := loadDWARF(ef, func(s *elf.Section) []byte { b, _ := s.Data(); return b }, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r := d.Reader()
		units, v5 := 0, 0
		for {
			e, err := r.Next()
			if err != nil || e == nil {
				break
			}
			if off, ok := e.Val(dwarf.AttrStmtList).(int64); ok {
				units++
				if line[uint64(off)+4] == 5 {
					v5++
				}
				if err := checkLineHeader(line, uint64(off)); err != nil {
					t.Errorf("%s: unit at %#x: %v", filepath.Base(path), e.Offset, err)
				}
			}
			r.SkipChildren()
		}
		t.Logf("%s: %d line tables checked (%d DWARF 5)", filepath.Base(path), units, v5)
		if units == 0 {
			t.Errorf("%s: no line tables", path)
		}
		ef.Close()
	}
}

// TestCheckLineHeaderCounts: directory and file counts that the table's
// bytes cannot hold are refused before debug/dwarf allocates by them.
func TestCheckLineHeaderCounts(t *testing.T) {
	// A DWARF 5 header: version 5, address size 8, no segment selector,
	// header_length, min_inst 1, max_ops 1, default_is_stmt 1,
	// line_base -5, line_range 14, opcode_base 13, 12 opcode lengths.
	head := func(dirForms []byte, dirs []byte, fileForms []byte, files []byte) []byte {
		body := []byte{5, 0, 8, 0, 0, 0, 0, 0, 1, 1, 1, 0xfb, 14, 13, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1}
		body = append(body, dirForms...)
		body = append(body, dirs...)
		body = append(body, fileForms...)
		body = append(body, files...)
		n := len(body)
		return append([]byte{byte(n), byte(n >> 8), 0, 0}, body...)
	}
	// One format: DW_LNCT_path (1) as DW_FORM_string (0x08).
	str := []byte{1, 1, 0x08}
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"well formed", head(str, []byte{1, '/', 0}, str, []byte{1, 'a', '.', 'c', 0}), ""},
		{"2^37 directories", head(str, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x10}, str, []byte{0}), "directories in"},
		{"directories without formats", head([]byte{0}, []byte{3}, str, []byte{0}), "directories in"},
		{"too many files", head(str, []byte{0}, str, []byte{200, 1, 'a', 0}), "file names in"},
		{"unknown form", head([]byte{1, 1, 0x21}, []byte{1, 0}, str, []byte{0}), "form 0x21"},
		{"cut in a string", head(str, []byte{1, 'x'}, nil, nil), "unterminated"},
	}
	for _, c := range cases {
		err := checkLineHeader(c.b, 0)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}
