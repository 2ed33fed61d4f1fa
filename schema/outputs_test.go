package schema_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/scan"
)

// compiled compiles a published schema with the files it refers to, by
// their $id (they are not fetched).
func compiled(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	dir := filepath.Join(testfixture.Root(), "schema")
	ids := map[string]string{}
	for _, s := range schemas {
		f, err := os.Open(filepath.Join(dir, s.file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		id := doc.(map[string]any)["$id"].(string)
		ids[s.file] = id
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile(ids[file])
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// outputs are every JSON output coreview writes, by schema, made from the
// fixture cores: analyze's report of each, a scan of several as JSON and
// as JSON Lines (each line its own document), whatis of a code, a stack
// and a guard address, and a baseline.
func outputs(t *testing.T) map[string][][]byte {
	t.Helper()
	if cachedOutputs == nil {
		cachedOutputs = makeOutputs(t)
	}
	return cachedOutputs
}

// cachedOutputs holds the outputs for the tests after the first.
var cachedOutputs map[string][][]byte

func makeOutputs(t *testing.T) map[string][][]byte {
	t.Helper()
	out := map[string][][]byte{}
	add := func(schema string, b []byte) { out[schema] = append(out[schema], append([]byte(nil), b...)) }
	for _, f := range testfixture.All(t) {
		r, err := analyze.Analyze(f.CoreZst, analyze.Options{Binary: f.Binary, Sysroot: testfixture.Sysroot()})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := r.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		add("report-v1.schema.json", b.Bytes())
	}
	dir := t.TempDir()
	for _, name := range []string{"c-abort", "c-inline", "stacker-segment", "c-null-call"} {
		f := testfixture.Get(t, name)
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o755)
		testfixture.CopyFile(t, f.CoreZst, filepath.Join(d, "core.zst"))
		testfixture.CopyFile(t, f.Binary, filepath.Join(d, "bin"))
	}
	os.WriteFile(filepath.Join(dir, "core"), []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x3e\x00broken"), 0o644)
	res, err := scan.Run(scan.Options{Dirs: []string{dir}, Recursive: true, Core: analyze.Options{Sysroot: testfixture.Sysroot()}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors == 0 || len(res.Groups) < 3 {
		t.Fatalf("the scan has %d groups and %d errors; the test wants crashes and an error row", len(res.Groups), res.Errors)
	}
	res.ApplyBaseline(&scan.Baseline{Schema: scan.BaselineSchema, Signatures: []scan.BaselineSignature{{SignatureHash: res.Groups[0].SignatureHash}}})
	var b bytes.Buffer
	res.WriteJSON(&b)
	add("scan-v1.schema.json", b.Bytes())
	b.Reset()
	res.WriteJSONL(&b)
	sc := bufio.NewScanner(&b)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		add("scan-jsonl-v1.schema.json", sc.Bytes())
	}
	b.Reset()
	res.Baseline().Write(&b)
	add("baseline-v1.schema.json", b.Bytes())

	f := testfixture.Get(t, "c-inline")
	s, err := analyze.Open(f.CoreZst, analyze.Options{Binary: f.Binary, Sysroot: testfixture.Sysroot()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	c := r.CrashedThread()
	for _, a := range []uint64{uint64(c.Frames[0].PC), uint64(c.Frames[0].SP), uint64(c.Frames[0].CFA) - 8, 0x10} {
		b, err := json.Marshal(s.WhatIs(a, r))
		if err != nil {
			t.Fatal(err)
		}
		add("whatis-v1.schema.json", b)
	}
	return out
}

// TestOutputsMatchSchemas: every output validates against its published
// schema, with the Go validator and with ajv in strict mode (what a
// JavaScript consumer runs).
func TestOutputsMatchSchemas(t *testing.T) {
	outs := outputs(t)
	if len(schemas) != 5 || len(outs) != len(schemas) {
		t.Fatalf("%d schemas, outputs for %d", len(schemas), len(outs))
	}
	for _, s := range schemas {
		sch := compiled(t, s.file)
		for i, doc := range outs[s.file] {
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("%s output %d: %v\n%.300s", s.file, i, err, doc)
			}
		}
	}
	dir := t.TempDir()
	var runs [][]string
	var files []int
	for _, s := range schemas {
		var docs []string
		for i, doc := range outs[s.file] {
			p := filepath.Join(dir, fmt.Sprintf("%s.%d.json", strings.TrimSuffix(s.file, ".schema.json"), i))
			os.WriteFile(p, doc, 0o644)
			docs = append(docs, p)
		}
		runs = append(runs, ajvArgs("validate", s.file, s.refs, docs...))
		files = append(files, len(docs))
	}
	for i, r := range ajvRuns(t, runs) {
		if r.Code != 0 || strings.Count(r.Output, " valid\n") != files[i] {
			t.Errorf("ajv --strict=true validate %s (%d files): exit status %d\n%s", schemas[i].file, files[i], r.Code, r.Output)
		}
	}
}

// TestSchemasReject: what the schemas refuse, each a field a consumer
// would misread.
func TestSchemasReject(t *testing.T) {
	outs := outputs(t)
	edit := func(doc []byte, f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(doc, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := []struct {
		schema, name string
		doc          []byte
	}{
		{"report-v1.schema.json", "an undeclared field", edit(outs["report-v1.schema.json"][0], func(m map[string]any) { m["extra"] = 1 })},
		{"report-v1.schema.json", "constructor, the v1.0 name", edit(outs["report-v1.schema.json"][0], func(m map[string]any) {
			m["diagnosis"] = []any{map[string]any{"kind": "early-init", "summary": "s", "path": []any{}, "constructor": "f",
				"link": map[string]any{"type": "static", "relr": false, "tls": false}}}
		})},
		{"report-v1.schema.json", "another major version", edit(outs["report-v1.schema.json"][0], func(m map[string]any) { m["schema"] = "coreview.report/v2" })},
		{"scan-jsonl-v1.schema.json", "a line without its schema", edit(outs["scan-jsonl-v1.schema.json"][0], func(m map[string]any) { delete(m, "schema") })},
		{"scan-jsonl-v1.schema.json", "a core line with a summary's field", edit(outs["scan-jsonl-v1.schema.json"][0], func(m map[string]any) { m["groups"] = []any{} })},
		{"scan-v1.schema.json", "a baseline state that is neither", edit(outs["scan-v1.schema.json"][0], func(m map[string]any) {
			m["groups"].([]any)[0].(map[string]any)["baseline"] = "old"
		})},
		{"whatis-v1.schema.json", "source as prose", edit(outs["whatis-v1.schema.json"][0], func(m map[string]any) { m["source"] = []any{"f at a.c:1"} })},
	}
	for _, c := range cases {
		v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(c.doc))
		if err := compiled(t, c.schema).Validate(v); err == nil {
			t.Errorf("%s accepts %s", c.schema, c.name)
		}
	}
}
