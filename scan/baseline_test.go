package scan

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBaseline: a baseline written from a scan reads back; against it,
// every row and group is known or new in every format, and only new
// crashes count for the exit status.
func TestBaseline(t *testing.T) {
	res := handBuilt()
	b := res.Baseline()
	if len(b.Signatures) != 2 || b.Signatures[0].SignatureHash != "1111111111111111" || b.Signatures[0].Cores != 2 {
		t.Fatalf("baseline %+v", b)
	}
	path := filepath.Join(t.TempDir(), "known.json")
	var w bytes.Buffer
	if err := b.Write(&w); err != nil {
		t.Fatal(err)
	}
	// Known: the first crash only.
	b.Signatures = b.Signatures[:1]
	w.Reset()
	b.Write(&w)
	os.WriteFile(path, w.Bytes(), 0o644)
	read, err := ReadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Crashes(nil) != 3 {
		t.Fatalf("%d crashes before the baseline", res.Crashes(nil))
	}
	res.ApplyBaseline(read)
	if res.Rows[0].Baseline != BaselineKnown || res.Rows[2].Baseline != BaselineNew || res.Rows[3].Baseline != "" ||
		res.Groups[0].Baseline != BaselineKnown || res.Groups[1].Baseline != BaselineNew || *res.New != 1 {
		t.Errorf("rows %+v groups %+v", res.Rows, res.Groups)
	}
	if n := res.Crashes(nil); n != 1 {
		t.Errorf("%d crashes count with the baseline, want the 1 new one", n)
	}
	if n := res.Crashes([]string{"null-dereference"}); n != 0 {
		t.Errorf("--fail-on null-dereference: %d, want 0 (that crash is known)", n)
	}
	var table, md, jl, junit bytes.Buffer
	res.WriteTable(&table)
	res.WriteMarkdown(&md)
	res.WriteJSONL(&jl)
	res.WriteJUnit(&junit)
	for _, c := range []struct{ format, out, want string }{
		{"table", table.String(), "SIGSEGV  null-dereference  1111111111111111  known     parse_row\n"},
		{"table", table.String(), "1 could not be analyzed, 1 new (not in the baseline)\n"},
		{"markdown", md.String(), "| 1 | `2222222222222222` | new | abort | `/c/c` |\n"},
		{"markdown", md.String(), "## SIGSEGV null-dereference: parse\\_row ← main (known)\n"},
		{"jsonl", jl.String(), `"signature_hash":"2222222222222222","frames":["check_input"],"baseline":"new"`},
		{"jsonl", jl.String(), `"new":1,`},
	} {
		if !strings.Contains(c.out, c.want) {
			t.Errorf("%s lacks %q:\n%s", c.format, c.want, c.out)
		}
	}
	var s junitSuite
	if err := xml.Unmarshal(junit.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Skipped != 1 || s.Failures != 1 || s.Cases[0].Skipped == nil || s.Cases[0].Failure != nil || s.Cases[1].Failure == nil {
		t.Errorf("junit with a baseline: %+v", s)
	}
}

// TestReadBaselineRejects: a file that is not a baseline says why.
func TestReadBaselineRejects(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ content, want string }{
		"scan":     {`{"schema":"coreview.scan/v1","cores":[]}`, `schema "coreview.scan/v1"`},
		"hash":     {`{"schema":"coreview.baseline/v1","signatures":[{"signature_hash":"xyz"}]}`, `"xyz" is not a signature hash`},
		"garbage":  {`not json`, "invalid character"},
		"too long": {`{"schema":"coreview.baseline/v1","signatures":[{"signature_hash":"0123456789abcdef0"}]}`, "not a signature hash"},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(c.content), 0o644)
		if _, err := ReadBaseline(p); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v, want an error naming the file and saying %q", name, err, c.want)
		}
	}
	if _, err := ReadBaseline(dir); err == nil {
		t.Error("a directory read as a baseline")
	}
}
