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

// TestStructLayoutCgoLazy: a cgo program the system linker linked has
// compressed DWARF and .debug_aranges, which symbolize reads a unit at a
// time; StructLayout must still find the runtime's types in it (a fatal
// error's walk in a cgo program goes on onto the goroutine only so).
func TestStructLayoutCgoLazy(t *testing.T) {
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
	checkGoRuntimeLayout(t, prog, true)
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
