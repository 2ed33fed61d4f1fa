// Package schema_test checks the published JSON Schemas with the validator
// JavaScript consumers use, ajv, in strict mode, and coreview's outputs
// against them.
package schema_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// schemas are the published schemas, each with the files its $refs name.
var schemas = []struct {
	file string
	refs []string
}{
	{"report-v1.schema.json", nil},
	{"scan-v1.schema.json", []string{"report-v1.schema.json"}},
	{"scan-jsonl-v1.schema.json", []string{"report-v1.schema.json", "scan-v1.schema.json"}},
	{"whatis-v1.schema.json", []string{"report-v1.schema.json"}},
	{"baseline-v1.schema.json", nil},
}

// ajvArgs is an ajv command line in strict mode for draft 2020-12, with
// the format keyword checked (ajv-formats).
func ajvArgs(verb, schema string, refs []string, data ...string) []string {
	dir := filepath.Join(testfixture.Root(), "schema")
	args := []string{verb, "--spec=draft2020", "--strict=true", "-c", "ajv-formats", "-s", filepath.Join(dir, schema)}
	for _, r := range refs {
		args = append(args, "-r", filepath.Join(dir, r))
	}
	for _, d := range data {
		args = append(args, "-d", d)
	}
	if verb == "validate" {
		args = append(args, "--errors=line")
	}
	return args
}

// TestSchemasStrict: ajv compiles every schema in strict mode (no unknown
// keywords, no required property left undefined, types given wherever a
// keyword needs one).
func TestSchemasStrict(t *testing.T) {
	ajv := testfixture.NodeTool(t, "ajv")
	for _, s := range schemas {
		out, err := exec.Command(ajv, ajvArgs("compile", s.file, s.refs)...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "is valid") {
			t.Errorf("ajv --strict=true compile %s: %v\n%s", s.file, err, out)
		}
	}
}
