// Package schema_test checks the published JSON Schemas with the validator
// JavaScript consumers use, ajv, in strict mode, and coreview's outputs
// against them.
package schema_test

import (
	"bytes"
	"encoding/json"
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

// ajvResult is what one ajv command line exited with and printed.
type ajvResult struct {
	Code   int    `json:"code"`
	Output string `json:"output"`
}

// ajvRuns runs ajv command lines (ajvArgs) in one node process,
// testdata/ajv-batch.js, each as ajv-cli's entry point runs one (its own
// options, its own Ajv instance), and returns their results in order:
// starting node and loading ajv-cli was most of what each of ten ajv runs
// cost (0.7 s of CPU).
func ajvRuns(t *testing.T, runs [][]string) []ajvResult {
	t.Helper()
	ajv := testfixture.NodeTool(t, "ajv")
	node := testfixture.Tool(t, "node")
	in, err := json.Marshal(runs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(testfixture.Root(), "schema", "testdata", "ajv-batch.js"), ajv)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ajv-batch.js: %v\n%s", err, stderr.Bytes())
	}
	var res []ajvResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(runs) {
		t.Fatalf("ajv-batch.js answered %d results for %d runs (%v): %s", len(res), len(runs), err, out)
	}
	return res
}

// TestSchemasStrict: ajv compiles every schema in strict mode (no unknown
// keywords, no required property left undefined, types given wherever a
// keyword needs one).
func TestSchemasStrict(t *testing.T) {
	t.Parallel()
	var runs [][]string
	for _, s := range schemas {
		runs = append(runs, ajvArgs("compile", s.file, s.refs))
	}
	for i, r := range ajvRuns(t, runs) {
		if r.Code != 0 || !strings.Contains(r.Output, "is valid") {
			t.Errorf("ajv --strict=true compile %s: exit status %d\n%s", schemas[i].file, r.Code, r.Output)
		}
	}
}
