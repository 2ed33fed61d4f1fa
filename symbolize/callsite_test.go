package symbolize

import (
	"bufio"
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// tailCalls is a program whose functions call and tail-call each other:
// gcc -O2 turns the returns of calls into jumps.
const tailCalls = `#include <stdlib.h>
__attribute__((noinline)) int leaf(int x) { if (x == 7) abort(); return x * 3; }
__attribute__((noinline)) int middle(int x) { return leaf(x + 1); }
__attribute__((noinline)) int top(int x) { return middle(x * 2) ; }
int main(int argc, char **argv) { (void)argv; return top(argc) + leaf(argc); }
`

// openModule opens an ELF file as the module table does, at bias 0.
func openModule(t *testing.T, path string) *Module {
	t.Helper()
	f, err := safefile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mapped, err := safefile.Map(f)
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	ef, err := elf.NewFile(mapped)
	if err != nil {
		closeBoth(mapped, f)
		t.Fatal(err)
	}
	m := &Module{Path: path, File: path, elf: ef, file: f, mmap: mapped, Status: StatusOK}
	t.Cleanup(m.Close)
	return m
}

// readelfSite is a call site as readelf --debug-dump=info prints it.
type readelfSite struct {
	returnPC uint64
	tail     bool
	origin   bool // has DW_AT_call_origin / DW_AT_abstract_origin
}

var (
	readelfDIE  = regexp.MustCompile(`^\s*<(\d+)><[0-9a-f]+>: Abbrev Number: \d+ \((DW_TAG_\w+)\)`)
	readelfAttr = regexp.MustCompile(`^\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s*(.*)$`)
)

// readelfCallSites decodes every call site DIE readelf prints.
func readelfCallSites(t *testing.T, readelf, path string) []readelfSite {
	t.Helper()
	out, err := exec.Command(readelf, "--debug-dump=info", "--wide", path).Output()
	if err != nil {
		t.Fatalf("readelf: %v", err)
	}
	var sites []readelfSite
	var cur *readelfSite
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := readelfDIE.FindStringSubmatch(line); m != nil {
			if cur != nil {
				sites = append(sites, *cur)
				cur = nil
			}
			if m[2] == "DW_TAG_call_site" || m[2] == "DW_TAG_GNU_call_site" {
				cur = &readelfSite{}
			}
			continue
		}
		m := readelfAttr.FindStringSubmatch(line)
		if cur == nil || m == nil {
			continue
		}
		switch m[1] {
		case "DW_AT_call_return_pc", "DW_AT_low_pc":
			v, _ := strconv.ParseUint(regexp.MustCompile(`0x[0-9a-f]+`).FindString(m[2]), 0, 64)
			cur.returnPC = v
		case "DW_AT_call_tail_call", "DW_AT_GNU_tail_call":
			cur.tail = true
		case "DW_AT_call_origin", "DW_AT_abstract_origin":
			cur.origin = true
		}
	}
	if cur != nil {
		sites = append(sites, *cur)
	}
	return sites
}

// TestCallSitesMatchReadelf compiles a program with tail calls as DWARF 5
// (DW_TAG_call_site) and DWARF 4 (DW_TAG_GNU_call_site) and checks every
// call site readelf decodes: CallSiteAt finds it by its return address,
// with readelf's tail-call flag and a target when readelf shows an origin;
// each tail call is in the tail-call list of the function holding it, and
// gcc marks every function as listing all its calls.
func TestCallSitesMatchReadelf(t *testing.T) {
	gcc := testfixture.Tool(t, "gcc")
	readelf := testfixture.Tool(t, "readelf")
	dir := t.TempDir()
	src := filepath.Join(dir, "tail.c")
	if err := os.WriteFile(src, []byte(tailCalls), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dw := range []string{"-gdwarf-5", "-gdwarf-4"} {
		t.Run(dw, func(t *testing.T) {
			prog := filepath.Join(dir, "tail"+dw)
			if out, err := exec.Command(gcc, "-O2", dw, "-o", prog, src).CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s", err, out)
			}
			want := readelfCallSites(t, readelf, prog)
			m := openModule(t, prog)
			tails := 0
			for _, w := range want {
				cs, ok, err := m.CallSiteAt(w.returnPC)
				if err != nil || !ok {
					t.Errorf("call site returning to %#x: %v %v", w.returnPC, ok, err)
					continue
				}
				if cs.Tail != w.tail || w.origin != (cs.Kind != CallTargetUnknown) {
					t.Errorf("call site %#x: tail %v kind %d, readelf tail %v origin %v", w.returnPC, cs.Tail, cs.Kind, w.tail, w.origin)
				}
				if !w.tail {
					continue
				}
				tails++
				sym, ok := m.Lookup(w.returnPC - 1)
				if !ok {
					t.Fatalf("no symbol at %#x", w.returnPC-1)
				}
				list, found, err := m.TailCalls(sym.Addr)
				if !found || err != nil {
					t.Errorf("%s: no function at %#x (%v)", sym.Name, sym.Addr, err)
				}
				in := false
				for _, l := range list {
					in = in || l.ReturnPC == w.returnPC
				}
				if !in {
					t.Errorf("%s's tail calls %+v lack the one returning to %#x", sym.Name, list, w.returnPC)
				}
			}
			// middle and top end in jumps to leaf and middle.
			if tails < 2 {
				t.Errorf("readelf shows %d tail calls; gcc -O2 makes at least 2", tails)
			}
			// The target of middle's tail call is leaf, defined here.
			leaf, _ := m.LookupName("leaf")
			middle, _ := m.LookupName("middle")
			list, _, _ := m.TailCalls(middle.Addr)
			if len(list) != 1 || list[0].Kind != CallTargetAddr || list[0].TargetAddr != leaf.Addr {
				t.Errorf("middle's tail calls %+v, want one to leaf at %#x", list, leaf.Addr)
			}
			// abort is a declaration: a name to look up.
			var names []string
			for _, w := range want {
				if cs, ok, _ := m.CallSiteAt(w.returnPC); ok && cs.Kind == CallTargetName {
					names = append(names, cs.TargetName)
				}
			}
			sort.Strings(names)
			if i := sort.SearchStrings(names, "abort"); i == len(names) || names[i] != "abort" {
				t.Errorf("declared targets %q lack abort", names)
			}
		})
	}
}

// TestFuncAddrAliases: FuncAddr finds every name of an address, local
// aliases included, a global one first.
func TestFuncAddrAliases(t *testing.T) {
	f := testfixture.Get(t, "c-abort")
	m := openModule(t, f.Binary)
	main, ok := m.LookupName("main")
	if !ok {
		t.Fatal("no main")
	}
	if a, global, ok := m.FuncAddr("main"); !ok || !global || a != main.Addr {
		t.Errorf("FuncAddr(main) = %#x %v %v, want %#x, global", a, global, ok, main.Addr)
	}
	if _, _, ok := m.FuncAddr("no_such_function"); ok {
		t.Error("found a function that does not exist")
	}
}

// FuzzCallSites mutates a real program's .debug_info (the c-inline
// fixture's, which has DWARF 5 call sites) and reads every unit's call
// sites: errors or answers, never a panic or a hang. The input is
// .debug_info's length (4 bytes), .debug_info, then .debug_line.
func FuzzCallSites(f *testing.F) {
	sec := seedInfoLine(f, "c-inline")
	f.Fuzz(func(t *testing.T, data []byte) {
		mutated, ok := withInfoLine(sec, data)
		if !ok {
			return
		}
		d, err := newDWARFData(mutated)
		if err != nil {
			return
		}
		ix, err := func() (ix *dwarfIndex, err error) {
			defer func() {
				if recover() != nil {
					ix = nil
				}
			}()
			return newDWARFIndex(d, "fuzz", len(mutated["info"]), mutated["line"])
		}()
		if err != nil || ix == nil {
			return
		}
		for _, cu := range ix.cus {
			ix.readCallSites(dwarf.Offset(cu.ref))
		}
	})
}
