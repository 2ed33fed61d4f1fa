package analyze

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestReportsValidateAgainstSchema: every fixture's JSON report validates
// against the published schema/report-v1.schema.json.
func TestReportsValidateAgainstSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join(testfixture.Root(), "schema", "report-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range testfixture.All(t) {
		r, err := Analyze(f.CoreZst, options(f))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
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
