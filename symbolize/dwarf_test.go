package symbolize

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestLineAt: the line-table rows kept (lineKeeper) and the row chosen for
// an address (lineAt) follow gdb's reader and find_pc_sect_line.
func TestLineAt(t *testing.T) {
	var k lineKeeper
	u := &unitIndex{files: []string{"", "a.c", "b.h", "c.c"}}
	for _, r := range []struct {
		row  lineRow
		disc bool
	}{
		{lineRow{addr: 0x1000, file: 1, line: 10, stmt: true}, false},
		{lineRow{addr: 0x1008, file: 1, line: 11, stmt: true}, false},
		// Same address, another file, not a statement, after a statement
		// row: ignored.
		{lineRow{addr: 0x1008, file: 2, line: 3, stmt: false}, false},
		{lineRow{addr: 0x1010, file: 2, line: 4, stmt: false}, false},
		{lineRow{addr: 0x1018, file: 1, line: 0, stmt: true}, false}, // line 0: compiler-made code
		// python3.11's 0x505db0/0x505db9 (objdump --dwarf=decodedline):
		// b.h 52 stmt, b.h 52, c.c 5094 at one address, then c.c 5094
		// again at the next. The c.c row at 0x1030 is ignored; the
		// repeat at 0x1039 is kept and is where c.c:5094 starts.
		{lineRow{addr: 0x1030, file: 2, line: 52, stmt: true}, false},
		{lineRow{addr: 0x1030, file: 2, line: 52, stmt: false}, false},
		{lineRow{addr: 0x1030, file: 3, line: 5094, stmt: false}, false},
		{lineRow{addr: 0x1039, file: 3, line: 5094, stmt: false}, false},
		{lineRow{addr: 0x103c, file: 3, line: 5094, stmt: false}, false},
		// A switch of file at one address that is a statement: the
		// previous file's rows there are dropped (gdb's end marker).
		{lineRow{addr: 0x1040, file: 1, line: 60, stmt: true}, false},
		{lineRow{addr: 0x1040, file: 2, line: 7, stmt: true}, false},
		// A repeat of a line that had a discriminator is dropped.
		{lineRow{addr: 0x1048, file: 2, line: 8, stmt: true}, true},
		{lineRow{addr: 0x104c, file: 2, line: 8, stmt: false}, true},
		{lineRow{addr: 0x1050, endSeq: true}, false},
		{lineRow{addr: 0x2000, file: 1, line: 20, stmt: true}, false},
		{lineRow{addr: 0x2010, endSeq: true}, false},
	} {
		u.rows = k.add(u.rows, r.row, r.disc)
	}
	cases := []struct {
		name string
		addr uint64
		file string
		line int
		ok   bool
	}{
		{"before the first row", 0xfff, "", 0, false},
		{"on a row", 0x1000, "a.c", 10, true},
		{"between rows", 0x1004, "a.c", 10, true},
		{"a statement row beats a later non-statement row of another file at its address", 0x1008, "a.c", 11, true},
		{"a lone non-statement row", 0x1014, "b.h", 4, true},
		{"line 0 has no position", 0x1018, "", 0, false},
		{"a non-statement row walks back to its file's statement row", 0x1030, "b.h", 52, true},
		{"a repeated row starts the line again", 0x1039, "c.c", 5094, true},
		{"after a repeated row", 0x103d, "c.c", 5094, true},
		{"a file switched by a statement row at one address", 0x1040, "b.h", 7, true},
		{"a repeat after a discriminator is not a row", 0x104c, "b.h", 8, true},
		{"past the end of a sequence", 0x1800, "", 0, false},
		{"the next sequence", 0x200f, "a.c", 20, true},
		{"past the last sequence", 0x2010, "", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file, line, _, ok := u.lineAt(c.addr)
			if file != c.file || line != c.line || ok != c.ok {
				t.Errorf("lineAt(%#x) = %s:%d %v, want %s:%d %v", c.addr, file, line, ok, c.file, c.line, c.ok)
			}
		})
	}
	var at1040 []lineRow
	for _, r := range u.rows {
		if r.addr == 0x1040 && !r.hidden {
			at1040 = append(at1040, r)
		}
	}
	if len(at1040) != 1 || at1040[0].file != 2 {
		t.Errorf("rows at 0x1040 gdb keeps: %+v, want only b.h:7", at1040)
	}
	for _, r := range u.rows {
		if r.addr == 0x104c && !r.hidden {
			t.Errorf("the repeat of a discriminated line at 0x104c was kept")
		}
	}
}

// TestScopesAt: the chain of scopes holding an address, outermost first.
func TestScopesAt(t *testing.T) {
	// f [0x1000,0x1100) holds inlined g [0x1010,0x1040) and h at two ranges
	// [0x1050,0x1060) [0x1080,0x1090); g holds inlined k [0x1020,0x1030).
	u := &unitIndex{scopes: []scope{
		{ranges: [][2]uint64{{0x1000, 0x1100}}, children: []int32{1, 3}},
		{ranges: [][2]uint64{{0x1010, 0x1040}}, children: []int32{2}},
		{ranges: [][2]uint64{{0x1020, 0x1030}}},
		{ranges: [][2]uint64{{0x1050, 0x1060}, {0x1080, 0x1090}}},
		{ranges: [][2]uint64{{0x2000, 0x2100}}},
	}, top: []addrRange{{0x1000, 0x1100, 0}, {0x2000, 0x2100, 4}}}
	cases := []struct {
		addr uint64
		want []int32
	}{
		{0x0fff, nil},
		{0x1000, []int32{0}},
		{0x1010, []int32{0, 1}},
		{0x1025, []int32{0, 1, 2}},
		{0x1030, []int32{0, 1}},
		{0x1085, []int32{0, 3}},
		{0x1070, []int32{0}},
		{0x1100, nil},
		{0x20ff, []int32{4}},
	}
	for _, c := range cases {
		got := u.scopesAt(c.addr)
		if len(got) != len(c.want) {
			t.Errorf("scopesAt(%#x) = %v, want %v", c.addr, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("scopesAt(%#x) = %v, want %v", c.addr, got, c.want)
				break
			}
		}
	}
}

// dwarfSections reads the sections dwarf.New needs from a fixture binary.
func dwarfSections(tb testing.TB, name string) map[string][]byte {
	ef, err := elf.Open(filepath.Join(testfixture.Root(), "testdata", "cores", name, "prog"))
	if err != nil {
		tb.Fatal(err)
	}
	defer ef.Close()
	out := map[string][]byte{}
	for _, s := range ef.Sections {
		if strings.HasPrefix(s.Name, ".debug_") {
			b, err := s.Data()
			if err != nil {
				tb.Fatal(err)
			}
			out[s.Name[len(".debug_"):]] = b
		}
	}
	if out["info"] == nil {
		tb.Fatalf("%s has no .debug_info", name)
	}
	return out
}

// FuzzDWARF mutates a real program's .debug_info and .debug_line and asks
// for source positions: errors or answers, never a panic, a hang or an
// allocation the input sized. The input is .debug_info's length (4 bytes),
// .debug_info, then .debug_line.
func FuzzDWARF(f *testing.F) {
	sec := seedInfoLine(f, "c-inline")
	f.Fuzz(func(t *testing.T, data []byte) {
		mutated, ok := withInfoLine(sec, data)
		if !ok {
			return
		}
		info, line := mutated["info"], mutated["line"]
		d, err := newDWARFData(mutated)
		if err != nil {
			return
		}
		ix, err := func() (ix *dwarfIndex, err error) {
			defer func() {
				if recover() != nil {
					ix = nil // debug/dwarf's own panic: openDWARF recovers it too
				}
			}()
			return newDWARFIndex(d, "fuzz", len(info), line)
		}()
		if err != nil || ix == nil {
			return
		}
		for addr := uint64(0x1000); addr < 0x1400; addr += 0x11 {
			ix.safeSource(addr)
		}
		// The fixture's first unit and a struct type of it, as Go's
		// runtime layout is asked for (StructLayout).
		ix.structLayout(fuzzUnit, map[string][]string{fuzzStruct: {"a", "b"}, "nosuch": {"x"}})
	})
}

// fuzzUnit and fuzzStruct are the name of c-inline's unit and of a struct
// type at its top level, which FuzzDWARF asks StructLayout for.
var fuzzUnit, fuzzStruct = func() (string, string) {
	ef, err := elf.Open(filepath.Join(testfixture.Root(), "testdata", "cores", "c-inline", "prog"))
	if err != nil {
		return "", ""
	}
	defer ef.Close()
	d, err := ef.DWARF()
	if err != nil {
		return "", ""
	}
	r := d.Reader()
	unit := ""
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			return unit, ""
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch e.Tag {
		case dwarf.TagCompileUnit:
			if unit != "" {
				return unit, ""
			}
			unit = name
		case dwarf.TagStructType:
			if name != "" {
				return unit, name
			}
		}
	}
}()

// TestSourceInFile: the fixture program's own DWARF answers for its main,
// with the inlined sort_twice in front (checked against gdb end to end in
// analyze's TestUnwindMatchesGDB).
func TestSourceInFile(t *testing.T) {
	ef, err := elf.Open(filepath.Join(testfixture.Root(), "testdata", "cores", "c-inline", "prog"))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	m := &Module{Path: "prog", elf: ef}
	syms, _ := ef.Symbols()
	var mainAddr, mainSize uint64
	for _, s := range syms {
		if s.Name == "main" {
			mainAddr, mainSize = s.Value, s.Size
		}
	}
	var sawInline bool
	for a := mainAddr; a < mainAddr+mainSize; a++ {
		locs := m.Source(a)
		if len(locs) == 0 {
			continue
		}
		last := locs[len(locs)-1]
		if last.Function != "main" || !strings.HasSuffix(last.File, "c-inline/main.c") || last.Line == 0 {
			t.Fatalf("Source(%#x) ends in %+v, want main in main.c", a, last)
		}
		if len(locs) == 2 && locs[0].Function == "sort_twice" && locs[0].Line == 18 && last.Line == 30 {
			sawInline = true
		}
	}
	if !sawInline {
		t.Error("no address of main has sort_twice (main.c:18) inlined at main.c:30")
	}
}

// seedInfoLine reads a fixture's DWARF sections and seeds f with the input
// the DWARF fuzz targets take: .debug_info's length (4 bytes), .debug_info,
// then .debug_line.
func seedInfoLine(f *testing.F, fixture string) map[string][]byte {
	sec := dwarfSections(f, fixture)
	seed := binary.LittleEndian.AppendUint32(nil, uint32(len(sec["info"])))
	f.Add(append(append(seed, sec["info"]...), sec["line"]...))
	return sec
}

// withInfoLine is sec with .debug_info and .debug_line taken from a fuzz
// input; ok is false for an input too short for its length.
func withInfoLine(sec map[string][]byte, data []byte) (map[string][]byte, bool) {
	if len(data) < 4 {
		return nil, false
	}
	n := uint64(binary.LittleEndian.Uint32(data))
	if n > uint64(len(data)-4) {
		return nil, false
	}
	mutated := maps.Clone(sec)
	mutated["info"], mutated["line"] = data[4:4+n], data[4+n:]
	return mutated, true
}
