package symbolize

import (
	"debug/dwarf"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestStructLayoutGoRuntime: the offsets StructLayout reads of the Go
// runtime's g, m and gobuf from a Go program's DWARF (one of the units
// named "runtime", not the one with the code) are those debug/dwarf's
// type reader gives for the same members, walking the whole DWARF.
func TestStructLayoutGoRuntime(t *testing.T) {
	prog := testfixture.BuildGo(t, t.TempDir(), "layout", "package main\n\nfunc main() { println(1) }\n")
	checkGoRuntimeLayout(t, prog, false)
}

// TestStructLayoutCgo: a cgo program the system linker linked has
// compressed DWARF and .debug_aranges that index only the C units (Go's
// linker writes none), so it is read whole; StructLayout finds the
// runtime's types in it.
func TestStructLayoutCgo(t *testing.T) {
	gocmd := testfixture.Tool(t, "go")
	testfixture.Tool(t, "gcc")
	dir := t.TempDir()
	src := "package main\n\n// static int add(int a, int b) { return a + b; }\nimport \"C\"\n\nfunc main() { println(C.add(1, 2)) }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module cgolayout\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "cgolayout.bin")
	cmd := exec.Command(gocmd, "build", "-ldflags=-linkmode=external", "-o", prog, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ef, err := elf.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	hasAranges := ef.Section(".debug_aranges") != nil
	ef.Close()
	if !hasAranges {
		t.Fatalf("%s has no .debug_aranges", prog)
	}
	checkGoRuntimeLayout(t, prog, false)
}

// TestStructLayoutLazy: in a C program with compressed DWARF and
// .debug_aranges, which symbolize reads a unit at a time, StructLayout
// finds a struct's members where debug/dwarf does.
func TestStructLayoutLazy(t *testing.T) {
	dir := t.TempDir()
	prog := testfixture.BuildC(t, "gcc", dir, "layoutc", "struct point { char tag; long x; int y; } p;\nint main(void) { return p.y; }\n", "-g", "-O0", "-gz=zlib")
	ef, err := elf.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	d, err := ef.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	r := d.Reader()
	unit := ""
	var want map[string]int64
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag == dwarf.TagCompileUnit {
			unit, _ = e.Val(dwarf.AttrName).(string)
			continue
		}
		if name, _ := e.Val(dwarf.AttrName).(string); e.Tag != dwarf.TagStructType || name != "point" {
			continue
		}
		typ, err := d.Type(e.Offset)
		if err != nil {
			t.Fatal(err)
		}
		want = map[string]int64{}
		for _, f := range typ.(*dwarf.StructType).Field {
			want[f.Name] = f.ByteOffset
		}
		break
	}
	if len(want) != 3 || want["x"] == 0 {
		t.Fatalf("debug/dwarf: struct point %v in unit %q", want, unit)
	}
	tab := loadExe(t, ef, prog)
	defer tab.Close()
	if ix := tab.Modules[0].dwarfIndex(); ix == nil || ix.lazy == nil {
		t.Fatalf("%s: its DWARF is not read lazily", prog)
	}
	got, err := tab.Modules[0].StructLayout(unit, map[string][]string{"point": {"tag", "x", "y"}})
	if err != nil {
		t.Fatal(err)
	}
	for m, off := range want {
		if g, ok := got["point"][m]; !ok || g != off {
			t.Errorf("point.%s: %d (found %v), debug/dwarf says %d", m, g, ok, off)
		}
	}
}

// loadExe loads the executable prog (ef) alone, mapped as its PT_LOAD
// segments say.
func loadExe(t *testing.T, ef *elf.File, prog string) *Table {
	t.Helper()
	var regions []Region
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			regions = append(regions, Region{Start: p.Vaddr &^ 0xfff, End: (p.Vaddr + p.Memsz + 0xfff) &^ 0xfff, Off: p.Off &^ 0xfff, Path: prog, Perm: p.Flags})
		}
	}
	tab := Load(regions, Options{ExePath: prog})
	if len(tab.Modules) == 0 {
		t.Fatalf("no module; warnings %q", tab.Warnings)
	}
	return tab
}

// checkGoRuntimeLayout compares StructLayout's offsets of the runtime's
// g, m and gobuf in prog with debug/dwarf's; lazy is whether prog's DWARF
// must be one symbolize reads a unit at a time.
func checkGoRuntimeLayout(t *testing.T, prog string, lazy bool) {
	t.Helper()
	ef, err := elf.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	var regions []Region
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			regions = append(regions, Region{Start: p.Vaddr &^ 0xfff, End: (p.Vaddr + p.Memsz + 0xfff) &^ 0xfff, Off: p.Off &^ 0xfff, Path: prog, Perm: p.Flags})
		}
	}
	tab := Load(regions, Options{ExePath: prog})
	defer tab.Close()
	if len(tab.Modules) == 0 {
		t.Fatalf("no module; warnings %q", tab.Warnings)
	}
	if ix := tab.Modules[0].dwarfIndex(); ix == nil || (ix.lazy != nil) != lazy {
		t.Fatalf("%s: DWARF index %v, want one read lazily: %v", prog, ix != nil, lazy)
	}
	want := map[string][]string{"runtime.g": {"m", "sched", "goid"}, "runtime.m": {"g0", "curg"}, "runtime.gobuf": {"sp", "pc", "bp"}}
	got, err := tab.Modules[0].StructLayout("runtime", want)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ef.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	r := d.Reader()
	checked := 0
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if e.Tag != dwarf.TagStructType || want[name] == nil {
			continue
		}
		typ, err := d.Type(e.Offset)
		if err != nil {
			t.Fatal(err)
		}
		st, ok := typ.(*dwarf.StructType)
		if !ok {
			continue
		}
		for _, f := range st.Field {
			for _, m := range want[name] {
				if f.Name == m {
					checked++
					if g, ok := got[name][m]; !ok || g != f.ByteOffset {
						t.Errorf("%s.%s: %d (found %v), debug/dwarf says %d", name, m, g, ok, f.ByteOffset)
					}
				}
			}
		}
	}
	if checked != 8 {
		t.Errorf("%d members compared, want 8", checked)
	}
	if _, err := tab.Modules[0].StructLayout("runtime", map[string][]string{"runtime.nosuchtype": {"x"}}); err != nil {
		t.Errorf("a type not declared: %v, want an answer without it", err)
	}
}
