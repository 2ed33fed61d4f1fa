package symbolize

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// lineAnswer is one tool's source position for an address: the cleaned
// file path and line, or file "" when the tool knows none.
type lineAnswer struct {
	file string
	line int
	col  int // eu-addr2line's and coreview's; gdb prints none
}

func (a lineAnswer) String() string {
	if a.file == "" {
		return "??"
	}
	return fmt.Sprintf("%s:%d", a.file, a.line)
}

// same reports whether a (coreview's answer) and tool (a tool's) name the
// same line of the same file. The tools print absolute paths; coreview
// prints the line table's names, which in a DWARF 5 table may be relative
// to the compilation directory ("../Include/object.h"), so a relative name
// matches the tool's path that ends with it.
func (a lineAnswer) same(tool lineAnswer) bool {
	if a.line != tool.line || (a.file == "") != (tool.file == "") {
		return false
	}
	if a.file == tool.file {
		return true
	}
	if filepath.IsAbs(a.file) {
		return false
	}
	rel := a.file
	for strings.HasPrefix(rel, "../") {
		rel = rel[3:]
	}
	return strings.HasSuffix(tool.file, "/"+rel)
}

// eaddr2line asks eu-addr2line for the line-table position of each address
// of exe (its debug file found by build-id, as gdb finds it).
func eaddr2line(t *testing.T, tool, exe string, addrs []uint64) []lineAnswer {
	t.Helper()
	var in bytes.Buffer
	for _, a := range addrs {
		fmt.Fprintf(&in, "%#x\n", a)
	}
	cmd := exec.Command(tool, "-e", exe)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("eu-addr2line: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(addrs) {
		t.Fatalf("eu-addr2line printed %d lines for %d addresses", len(lines), len(addrs))
	}
	ans := make([]lineAnswer, len(addrs))
	for i, l := range lines {
		// "/path/file.c:123:45", "/path/file.c:123" or "??:0".
		parts := strings.Split(l, ":")
		col := 0
		if len(parts) >= 3 {
			if c, err := strconv.Atoi(parts[len(parts)-1]); err == nil {
				parts, col = parts[:len(parts)-1], c
			}
		}
		n, err := strconv.Atoi(parts[len(parts)-1])
		file := strings.Join(parts[:len(parts)-1], ":")
		if err != nil || file == "??" || n == 0 {
			continue
		}
		ans[i] = lineAnswer{filepath.Clean(file), n, col}
	}
	return ans
}

// gdbLines asks gdb's find_pc_line, the function behind `info line`, for
// each address of exe.
func gdbLines(t *testing.T, gdb, exe string, addrs []uint64) []lineAnswer {
	t.Helper()
	dir := t.TempDir()
	var pcs []string
	for _, a := range addrs {
		pcs = append(pcs, fmt.Sprintf("%#x", a))
	}
	script := filepath.Join(dir, "lines.py")
	src := "import gdb\nfor pc in [" + strings.Join(pcs, ",") + "]:\n" +
		"    sal = gdb.find_pc_line(pc)\n" +
		"    if sal.symtab is None or sal.line == 0:\n" +
		"        print('??')\n" +
		"    else:\n" +
		"        print('%s\\t%d' % (sal.symtab.fullname(), sal.line))\n"
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(gdb, "-nx", "-batch", "-ex", "source "+script, exe).Output()
	if err != nil {
		t.Fatalf("gdb: %v", err)
	}
	var ans []lineAnswer
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f, n, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			if sc.Text() == "??" {
				ans = append(ans, lineAnswer{})
			}
			continue
		}
		line, _ := strconv.Atoi(n)
		ans = append(ans, lineAnswer{file: filepath.Clean(f), line: line})
	}
	if len(ans) != len(addrs) {
		t.Fatalf("gdb answered %d of %d addresses:\n%s", len(ans), len(addrs), out)
	}
	return ans
}

// TestLinesMatchAddr2lineAndGDB compares the line-table position of 2,000
// addresses spread over /usr/bin/python3.11's .text, and of every address
// in that range where several rows start, with eu-addr2line's (libdw) and
// gdb's find_pc_line. Where the two tools agree coreview must give their
// answer; where they differ (several rows at one address: libdw takes the
// last, gdb the statement row of its file) it must give one of them; its
// column must be eu-addr2line's where their lines agree (gdb prints none).
// python3.11 is the binary of the reported bug: 0x505db9 is ceval.c:5094
// for both tools, and was methodobject.h:52 for coreview.
func TestLinesMatchAddr2lineAndGDB(t *testing.T) {
	const exe = "/usr/bin/python3.11"
	addr2line := testfixture.Tool(t, "eu-addr2line")
	gdb := testfixture.Tool(t, "gdb")
	ef, err := elf.Open(exe)
	if err != nil {
		if testfixture.RequireTools() {
			t.Fatalf("%s (python3.11-dbg's binary): %v", exe, err)
		}
		t.Skipf("%s: %v", exe, err)
	}
	defer ef.Close()
	m := &Module{Path: exe, File: exe, elf: ef, BuildID: fileBuildID(ef), finder: &debugFinder{dirs: []string{"/usr/lib/debug"}}}
	defer m.Close()
	if !m.HasDWARF() {
		if testfixture.RequireTools() {
			t.Fatalf("no DWARF for %s: python3.11-dbg is not installed", exe)
		}
		t.Skipf("no DWARF for %s: python3.11-dbg is not installed", exe)
	}
	text := ef.Section(".text")
	if text == nil {
		t.Fatal("no .text")
	}
	const n = 2000
	addrs := []uint64{0x505db9, 0x505db0}
	// A fixed odd stride lands on every byte position of instructions,
	// not only on row starts.
	stride := text.Size / n
	for i := uint64(0); i < n; i++ {
		addrs = append(addrs, text.Addr+i*stride+(i*7919)%stride)
	}
	// The interesting addresses: where rows of several files or lines
	// start together (inlined code), in the range of the reported bug.
	seen := map[uint64]bool{}
	for _, a := range addrs {
		seen[a] = true
	}
	ix := m.dwarfIndex()
	for a := uint64(0x505000); a < 0x507000 && len(addrs) < n+400; a++ {
		u := ix.unitAt(a)
		if u == nil {
			continue
		}
		k := sortSearchRows(u.rows, a)
		if k+1 < len(u.rows) && u.rows[k].addr == a && u.rows[k+1].addr == a && !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	eu := compareLines(t, addr2line, gdb, exe, m, addrs)
	if eu[0] != (lineAnswer{}) {
		if got := m.Source(0x505db9); len(got) == 0 || !strings.HasSuffix(got[0].File, "ceval.c") || got[0].Line != 5094 {
			t.Errorf("0x505db9: %v, want ceval.c:5094", got)
		}
	}
}

// compareLines checks coreview's line for each address of exe (module m)
// against eu-addr2line's and gdb's, and returns eu-addr2line's answers.
func compareLines(t *testing.T, addr2line, gdb, exe string, m *Module, addrs []uint64) []lineAnswer {
	t.Helper()
	eu := eaddr2line(t, addr2line, exe, addrs)
	gd := gdbLines(t, gdb, exe, addrs)
	var both, euOnly, gdbOnly, neither, colDiffer int
	for i, a := range addrs {
		var ours lineAnswer
		if locs := m.Source(a); len(locs) > 0 && locs[0].Line > 0 {
			ours = lineAnswer{filepath.Clean(locs[0].File), locs[0].Line, locs[0].Column}
		}
		if ours.same(eu[i]) && ours.col != eu[i].col {
			colDiffer++
			if colDiffer <= 20 {
				t.Errorf("%#x: coreview %v column %d, eu-addr2line column %d", a, ours, ours.col, eu[i].col)
			}
		}
		switch {
		case ours.same(eu[i]) && ours.same(gd[i]):
			both++
		case ours.same(eu[i]):
			euOnly++
		case ours.same(gd[i]):
			gdbOnly++
		default:
			neither++
			if neither <= 20 {
				t.Errorf("%#x: coreview %v, eu-addr2line %v, gdb %v", a, ours, eu[i], gd[i])
			}
		}
	}
	t.Logf("%s: %d addresses: %d agree with both tools, %d with eu-addr2line only, %d with gdb only, %d with neither; %d lines agree with eu-addr2line's but not their column", exe, len(addrs), both, euOnly, gdbOnly, neither, colDiffer)
	return eu
}

// TestFixtureLinesMatchAddr2lineAndGDB: every address of the .text of the
// fixture programs and libraries built with DWARF gets eu-addr2line's or
// gdb's line.
func TestFixtureLinesMatchAddr2lineAndGDB(t *testing.T) {
	addr2line := testfixture.Tool(t, "eu-addr2line")
	gdb := testfixture.Tool(t, "gdb")
	files, _ := filepath.Glob(filepath.Join(testfixture.Root(), "testdata", "cores", "*", "*"))
	checked := 0
	for _, path := range files {
		ef, err := elf.Open(path)
		if err != nil {
			continue
		}
		text := ef.Section(".text")
		if ef.Section(".debug_line") == nil || text == nil || text.Size > 1<<16 {
			ef.Close()
			continue
		}
		m := &Module{Path: path, File: path, elf: ef}
		var addrs []uint64
		for a := text.Addr; a < text.Addr+text.Size; a++ {
			addrs = append(addrs, a)
		}
		compareLines(t, addr2line, gdb, path, m, addrs)
		m.Close()
		ef.Close()
		checked++
	}
	if checked == 0 {
		t.Fatal("no fixture binary with DWARF")
	}
}

// unitAt returns the decoded unit holding fileAddr, or nil.
func (ix *dwarfIndex) unitAt(fileAddr uint64) *unitIndex {
	off, ok := ix.unitFor(fileAddr)
	if !ok {
		return nil
	}
	u, _ := ix.unit(off)
	return u
}

// sortSearchRows returns the index of the first row at fileAddr or above.
func sortSearchRows(rows []lineRow, fileAddr uint64) int {
	lo, hi := 0, len(rows)
	for lo < hi {
		mid := (lo + hi) / 2
		if rows[mid].addr < fileAddr {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
