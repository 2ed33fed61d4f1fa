package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestSchema: a hand-built report with a diagnosis validates against the
// published schema/report-v1.schema.json, and the schema rejects what it
// should. (Every fixture's report is validated in package analyze.)
func TestSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join(testfixture.Root(), "schema", "report-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	addr := Addr(0)
	rep := &Report{Schema: Schema, Core: "core", Process: Process{PID: 1, Exe: "/bin/prog", Args: []string{"prog"}},
		Signal:   &Signal{Number: SIGSEGV, Name: "SIGSEGV", Code: SEGV_MAPERR, CodeName: "SEGV_MAPERR", Address: &addr, Thread: 1},
		Modules:  []Module{{Path: "/bin/prog", Base: 0x400000, End: 0x401000, BuildID: "ab", Status: StatusOK}},
		Mappings: []Mapping{{Start: 0x400000, End: 0x401000, Perms: "r-x", File: "/bin/prog", Role: RoleText, Dumped: true}},
		Threads: []Thread{{TID: 1, Crashed: true, EndReason: "end of stack", Frames: FrameList{
			{Index: 0, PC: 0x400010, Function: "main", Symbol: "main", Offset: 0x10, Module: "prog", ModuleOffset: 0x10, Method: MethodContext}}}},
		Diagnosis: []Diagnosis{{Kind: KindNullDereference, Thread: 1, Summary: "s",
			Access: &Access{PC: 0x400010, Function: "main", Operation: "read", Address: &addr, AddressSource: "kernel", Where: "w"}}},
		Signature: "SIGSEGV null-dereference: main", SignatureHash: "0123456789abcdef", Warnings: []string{}}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("hand-built report: %v", err)
	}
	// And the schema rejects what it should.
	bad := map[string]any{"schema": "coreview.report/v1"}
	if err := sch.Validate(bad); err == nil {
		t.Error("the schema accepts a report without its required fields")
	}
	// A diagnosis without its kind's fields: the null-call that
	// encoding/json wrote when it dropped the fields ControlFlow shares
	// with Access (pc, where, caller, slot).
	var r any
	json.Unmarshal([]byte(`{"schema":"coreview.report/v1","core":"c","process":{"pid":1,"exe":"e","args":[]},"signal":null,
		"modules":[],"mappings":[],"threads":[],"signature":"s","signature_hash":"0123456789abcdef","warnings":[],
		"diagnosis":[{"kind":"null-call","summary":"s","call_instruction":"call qword ptr [rax]"}]}`), &r)
	if err := sch.Validate(r); err == nil {
		t.Error("the schema accepts a null-call diagnosis without pc and where")
	}
	var js any
	json.Unmarshal([]byte(`{"schema":"coreview.report/v2"}`), &js)
	if err := sch.Validate(js); err == nil {
		t.Error("the schema accepts another schema version")
	}
}
