package analyze

import (
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/testfixture"
)

func TestRegFamily(t *testing.T) {
	tests := []struct{ in, want x86asm.Reg }{
		{x86asm.RAX, x86asm.RAX}, {x86asm.EAX, x86asm.RAX}, {x86asm.AX, x86asm.RAX}, {x86asm.AL, x86asm.RAX},
		{x86asm.AH, x86asm.RAX}, {x86asm.BH, x86asm.RBX}, {x86asm.SIB, x86asm.RSI}, {x86asm.R9L, x86asm.R9},
		{x86asm.R15B, x86asm.R15}, {x86asm.R11W, x86asm.R11}, {x86asm.RIP, 0},
	}
	for _, tt := range tests {
		if got := regFamily(tt.in); got != tt.want {
			t.Errorf("regFamily(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestCallSlots: on real cores of calls through never-relocated pointers,
// the report names the slot the target came from and its relocation, for
// `call [rip+X]` through the GOT, `call [rax+0x18]` through a vtable, and
// `call rax` after `mov rax, [rip+X]` (traced back from the call).
func TestCallSlots(t *testing.T) {
	tests := []struct {
		fixture, call, loadedBy, section, object string
	}{
		{"c-got-call", "call qword ptr [rip+", "", ".got", ""},
		{"c-hook-unrelocated", "call rax", "mov rax, qword ptr [rip+", ".data", "copy_hook+0x0"},
		{"c-vtable-unrelocated", "call qword ptr [rax+0x18]", "", ".data.rel.ro", "relocate_vtable+0x18"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			f := testfixture.Get(t, tt.fixture)
			r, err := Analyze(f.CoreZst, options(f))
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]Diagnosis{}
			for _, d := range r.Diagnosis {
				kinds[d.Kind] = d
			}
			u, ok := kinds["unrelocated-pointer"]
			if !ok || r.Diagnosis[0].Kind != "unrelocated-pointer" {
				t.Fatalf("diagnoses %v: want unrelocated-pointer first", r.Diagnosis)
			}
			if u.Unrelocated.Module != f.Binary && !strings.HasSuffix(u.Unrelocated.Module, "/"+tt.fixture+"/prog") {
				t.Errorf("unrelocated module %s", u.Unrelocated.Module)
			}
			w, ok := kinds["bad-pc"]
			if !ok {
				t.Fatal("no bad-pc diagnosis")
			}
			cf := w.ControlFlow
			if !strings.HasPrefix(cf.Call, tt.call) {
				t.Errorf("call %q, want %q…", cf.Call, tt.call)
			}
			if tt.loadedBy != "" && !strings.Contains(cf.LoadedBy, tt.loadedBy) {
				t.Errorf("loaded by %q, want %q…", cf.LoadedBy, tt.loadedBy)
			}
			s := cf.Slot
			if s == nil {
				t.Fatal("no slot")
			}
			if s.Section != tt.section || s.Object != tt.object || s.Relocation == nil || s.Relocation.Type != "R_X86_64_RELATIVE" {
				t.Errorf("slot %+v (relocation %+v), want %s %q with an R_X86_64_RELATIVE relocation", s, s.Relocation, tt.section, tt.object)
			}
			if uint64(s.Value) != uint64(u.Unrelocated.Pointer) || u.Unrelocated.Slot == nil {
				t.Errorf("slot value %#x, unrelocated pointer %#x, unrelocated slot %v", uint64(s.Value), uint64(u.Unrelocated.Pointer), u.Unrelocated.Slot)
			}
		})
	}
}
