package analyze

import (
	"strings"
	"testing"

	"golang.org/x/arch/x86/x86asm"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

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
			r := fixtureReport(t, f)
			kinds := map[report.Kind]report.Diagnosis{}
			for _, d := range r.Diagnosis {
				kinds[d.Kind] = d
			}
			u, ok := kinds[report.KindUnrelocated]
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

// decodeAll decodes code placed at address 0.
func decodeAll(t *testing.T, code []byte) []decodedInst {
	t.Helper()
	var out []decodedInst
	for pc := 0; pc < len(code); {
		inst, err := x86asm.Decode(code[pc:], 64)
		if err != nil {
			t.Fatalf("decode at %#x: %v", pc, err)
		}
		out = append(out, decodedInst{inst, uint64(pc)})
		pc += inst.Len
	}
	return out
}

// TestTraceRegister: the register a call went through is traced back to
// the load from its slot, through register moves and, in unoptimized code,
// through a spill to the stack.
func TestTraceRegister(t *testing.T) {
	tests := []struct {
		name     string
		code     []byte // the instructions before the call, at address 0
		reg      x86asm.Reg
		loadAt   uint64
		slotDisp int64
	}{
		{
			// gcc -O1: mov rax, [rip+0x2fd2]; test rax, rax; je; sub rsp, 8; mov edx, 0xa0 (call rax)
			"null-checked", []byte{0x48, 0x8b, 0x05, 0xd2, 0x2f, 0x00, 0x00, 0x48, 0x85, 0xc0, 0x74, 0x10,
				0x48, 0x83, 0xec, 0x08, 0xba, 0xa0, 0x00, 0x00, 0x00}, x86asm.RAX, 0, 0x2fd2,
		},
		{
			// gcc -O0 (o0.c, save_state): push rbp; mov rbp, rsp; sub rsp, 0x20;
			// mov [rbp-0x18], rdi; mov [rbp-0x20], rsi; mov rax, [rip+0x0];
			// mov [rbp-0x8], rax; cmp qword ptr [rbp-0x8], 0; je; mov rcx, [rbp-0x20];
			// mov rax, [rbp-0x18]; mov r8, [rbp-0x8]; mov edx, 0xa0; mov rsi, rcx;
			// mov rdi, rax (call r8)
			"spilled", []byte{0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x20, 0x48, 0x89, 0x7d, 0xe8,
				0x48, 0x89, 0x75, 0xe0, 0x48, 0x8b, 0x05, 0x00, 0x00, 0x00, 0x00, 0x48, 0x89, 0x45, 0xf8,
				0x48, 0x83, 0x7d, 0xf8, 0x00, 0x74, 0x1a, 0x48, 0x8b, 0x4d, 0xe0, 0x48, 0x8b, 0x45, 0xe8,
				0x4c, 0x8b, 0x45, 0xf8, 0xba, 0xa0, 0x00, 0x00, 0x00, 0x48, 0x89, 0xce, 0x48, 0x89, 0xc7},
			x86asm.R8, 0x10, 0,
		},
		{
			// mov rdx, [rip+0x100]; mov rax, rdx (call rax)
			"moved", []byte{0x48, 0x8b, 0x15, 0x00, 0x01, 0x00, 0x00, 0x48, 0x89, 0xd0}, x86asm.RAX, 0, 0x100,
		},
	}
	for _, tt := range tests {
		rl, ok := traceRegister(decodeAll(t, tt.code), tt.reg)
		if !ok || !rl.hasMem || rl.load.at != tt.loadAt || rl.mem.Base != x86asm.RIP || rl.mem.Disp != tt.slotDisp {
			t.Errorf("%s: load %+v at %#x (mem %v), want mov from [rip+%#x] at %#x", tt.name, rl.load.inst, rl.load.at, rl.mem, tt.slotDisp, tt.loadAt)
		}
	}
	// The value a call returned names no slot.
	if _, ok := traceRegister(decodeAll(t, []byte{0xe8, 0x00, 0x00, 0x00, 0x00}), x86asm.RAX); ok {
		t.Error("traced rax through a call")
	}
}
