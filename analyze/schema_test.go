package analyze

import (
	"bytes"
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
	t.Parallel()
	for _, f := range testfixture.All(t) {
		r := fixtureReport(t, f)
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
}
