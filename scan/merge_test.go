package scan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMerge: the JSON Lines of two jobs merge into one result grouped by
// signature across them, each core with its job, each group with the jobs
// that hit it; summary lines are rebuilt, not summed.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, res *Result) string {
		var b bytes.Buffer
		if err := res.WriteJSONL(&b); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, b.Bytes(), 0o644)
		return p
	}
	a := handBuilt()
	b := handBuilt()
	b.Rows = b.Rows[:1] // job b: one more core of the first crash
	b.Rows[0].Path = "/other/a.zst"
	b.group()
	pa, pb := write("a.jsonl", a), write("b.jsonl", b)
	res, err := Merge([]string{pa, pb})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 5 || len(res.Groups) != 2 || res.Errors != 1 {
		t.Fatalf("merged %d rows, %d groups, %d errors", len(res.Rows), len(res.Groups), res.Errors)
	}
	g := res.Groups[0]
	if g.Count != 3 || strings.Join(g.Cores, " ") != "/c/a.zst /c/b /other/a.zst" || strings.Join(g.Jobs, " ") != pa+" "+pb {
		t.Errorf("first group %+v", g)
	}
	if res.Groups[1].Count != 1 || strings.Join(res.Groups[1].Jobs, " ") != pa {
		t.Errorf("second group %+v", res.Groups[1])
	}
	if res.Rows[4].Job != pb || res.Rows[4].Systemd == nil || res.Rows[4].Systemd.Comm != "srv" {
		t.Errorf("merged row %+v", res.Rows[4])
	}
	// Merging a merge's JSON Lines gives the same groups.
	again, err := Merge([]string{write("ab.jsonl", res)})
	if err != nil || len(again.Groups) != 2 || again.Groups[0].Count != 3 {
		t.Errorf("re-merge: %v %+v", err, again)
	}
}

// TestMergeRejects: a file that is not scan JSON Lines is an error naming
// the file and line; lines written before records carried a schema merge.
func TestMergeRejects(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ content, want string }{
		"other schema": {`{"schema":"coreview.report/v1","type":"core"}` + "\n", `:1: schema "coreview.report/v1"`},
		"report":       {`{"schema":"coreview.scan.jsonl/v1","type":"core","path":"a"}` + "\n" + `{"core":"x"}` + "\n", `:2: not a scan --format jsonl record`},
		"no path":      {`{"type":"core","diagnoses":[]}` + "\n", ":1: a core record without a path"},
		"bad hash":     {`{"type":"core","path":"a","signature_hash":"nothex"}` + "\n", `:1: "nothex" is not a signature hash`},
		"garbage":      {"\x00\x01\n", ":1: invalid character"},
		"empty":        {"", "no scan records"},
		"huge line":    {`{"type":"core","path":"` + strings.Repeat("a", maxJSONLLine) + `"}`, "token too long"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(p, []byte(c.content), 0o644)
		if _, err := Merge([]string{p}); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want an error naming the file and saying %q", name, err, c.want)
		}
	}
	old := filepath.Join(dir, "old.jsonl")
	os.WriteFile(old, []byte(`{"type":"core","path":"/c/x","diagnoses":["abort"],"signature":"s","signature_hash":"3333333333333333"}`+"\n"+
		`{"type":"summary","cores":1,"errors":0,"groups":[]}`+"\n"), 0o644)
	res, err := Merge([]string{old})
	if err != nil || len(res.Groups) != 1 || res.Groups[0].Diagnosis != "abort" {
		t.Errorf("JSON Lines without schema fields: %v %+v", err, res)
	}
}
