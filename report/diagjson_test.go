package report

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// jsonKeys lists the JSON names of a struct type's fields.
func jsonKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("json")
		if name, _, _ := strings.Cut(tag, ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// TestDiagnosisJSONKeepsEveryField: a diagnosis's JSON holds every field
// of its detail struct, including those whose names another detail struct
// also uses (pc, where, caller, slot, link), which encoding/json drops from
// a struct that embeds both.
func TestDiagnosisJSONKeepsEveryField(t *testing.T) {
	a := Addr(0x10)
	ref := &FrameRef{Index: 1, PC: 0x1234, Function: "f", Module: "m"}
	slot := &Slot{Address: 0x2000, Value: 0x1150, Where: "w", Operand: "o", Object: "obj",
		Relocation: &Relocation{Module: "m", Type: "R_X86_64_RELATIVE", Symbol: "s", Addend: 1, Section: ".rela.dyn"}}
	link := LinkInfo{Type: "static-pie", Interpreter: "i", RELR: true, TLS: true, TLSSize: 8, Libc: "musl"}
	tests := []struct {
		d      Diagnosis
		detail any
	}{
		{Diagnosis{Kind: "null-call", ControlFlow: &ControlFlow{PC: 1, Where: "w", Caller: ref, Call: "call rax", CallSite: 2, Slot: slot, Register: "rax = 0x0", LoadedBy: "`mov rax, qword ptr [rip+0x10]` at 0x1"}}, ControlFlow{}},
		{Diagnosis{Kind: "null-dereference", Access: &Access{PC: 1, Function: "f", Instruction: "i", Operation: "read", Address: &a, AddressSource: "kernel", Operand: "o", Where: "w"}}, Access{}},
		{Diagnosis{Kind: "abort", AbortInfo: &AbortInfo{Cause: "assertion", Caller: ref, Message: "m", Assertion: "x", File: "f.c", Line: 3, Function: "g",
			Panic: &Panic{Message: "m", Location: PanicLocation{File: "src/main.rs", Line: 7, Column: 5}}, Exception: &CxxException{Type: "std::runtime_error", What: "w"}}}, AbortInfo{}},
		{Diagnosis{Kind: "unrelocated-pointer", Unrelocated: &Unrelocated{Pointer: 1, Used: "pc", Module: "m", Base: 2, Resolves: 3, Symbol: "s", Section: ".text", Slot: slot, Link: link}}, Unrelocated{}},
		{Diagnosis{Kind: "early-init", EarlyInit: &EarlyInit{Path: []string{"_start"}, Initializer: "c", Link: link}}, EarlyInit{}},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.d)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%s: %v in %s", tt.d.Kind, err, b)
		}
		for _, k := range append([]string{"kind", "summary"}, jsonKeys(reflect.TypeOf(tt.detail))...) {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: JSON has no %q: %s", tt.d.Kind, k, b)
			}
		}
	}
}
