package symbolize

import (
	"debug/dwarf"
	"debug/elf"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestStructLayoutGoRuntime: the offsets StructLayout reads of the Go
// runtime's g, m and gobuf from a Go program's DWARF (one of the units
// named "runtime", not the one with the code) are those debug/dwarf's
// type reader gives for the same members, walking the whole DWARF.
func TestStructLayoutGoRuntime(t *testing.T) {
	prog := testfixture.BuildGo(t, t.TempDir(), "layout", "package main\n\nfunc main() { println(1) }\n")
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
