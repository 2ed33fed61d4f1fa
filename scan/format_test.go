package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/coreview/coreview/report"
)

// handBuilt is a scan no core produced: two cores with one crash (one of
// them recorded by systemd-coredump), another crash, and a core that
// could not be analyzed.
func handBuilt() *Result {
	sd := &report.Systemd{Comm: "srv", UID: 0, PID: 7, Time: time.Unix(1700000000, 0), FromName: true}
	res := &Result{Rows: []Row{
		{Path: "/c/a.zst", Exe: "/usr/bin/srv", PID: 7, Signal: "SIGSEGV", Diagnoses: []string{"null-dereference"},
			Summary: "Thread 7 read address 0x0 in parse_row.", Signature: "SIGSEGV null-dereference: parse_row ← main",
			SignatureHash: "1111111111111111", Frames: []string{"parse_row", "main"}, Systemd: sd},
		{Path: "/c/b", Exe: "/usr/bin/srv", PID: 9, Signal: "SIGSEGV", Diagnoses: []string{"null-dereference"},
			Summary: "Thread 9 read address 0x0 in parse_row.", Signature: "SIGSEGV null-dereference: parse_row ← main",
			SignatureHash: "1111111111111111", Frames: []string{"parse_row", "main"}},
		{Path: "/c/c", Exe: "/usr/bin/tool", PID: 3, Signal: "SIGABRT", Diagnoses: []string{"abort"},
			Summary: "assert_ok failed", Signature: "SIGABRT abort: check_input", SignatureHash: "2222222222222222",
			Frames: []string{"check_input"}},
		{Path: "/c/d", Diagnoses: []string{}, Error: "corefile: not an ELF core"},
	}}
	res.group()
	return res
}

// TestGroupHandBuilt: rows group by signature hash, most frequent first;
// the unreadable core is an error, in no group.
func TestGroupHandBuilt(t *testing.T) {
	res := handBuilt()
	if len(res.Groups) != 2 || res.Groups[0].Count != 2 || res.Groups[0].FirstCore != "/c/a.zst" ||
		strings.Join(res.Groups[0].Cores, " ") != "/c/a.zst /c/b" || res.Groups[1].Diagnosis != "abort" || res.Errors != 1 {
		t.Errorf("groups %+v, errors %d", res.Groups, res.Errors)
	}
}

func TestWriteTableHandBuilt(t *testing.T) {
	var b bytes.Buffer
	if err := handBuilt().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"/c/a.zst  srv[7] 2023-11-14T22:13:20Z  SIGSEGV  null-dereference  1111111111111111  parse_row\n",
		"/c/b      srv[9]                       SIGSEGV  null-dereference  1111111111111111  parse_row\n",
		"/c/d      -                            -        error             -                 corefile: not an ELF core\n",
		"\n4 cores, 2 distinct crashes, 1 could not be analyzed\n",
		"2      1111111111111111  null-dereference  /c/a.zst    SIGSEGV null-dereference: parse_row ← main\n",
		"\n1111111111111111 (2 core(s)): SIGSEGV null-dereference: parse_row ← main\n  #0  parse_row\n  #1  main\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteMarkdownHandBuilt(t *testing.T) {
	var b bytes.Buffer
	if err := handBuilt().WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# Crash scan: 4 cores, 2 distinct crashes\n",
		"| 2 | `1111111111111111` | null-dereference | `/c/a.zst` |\n",
		"\n## SIGABRT abort: check\\_input\n",
		"- `/c/a.zst` (systemd-coredump: comm srv, uid 0, pid 7, time 2023-11-14 22:13:20.000000 UTC)\n- `/c/b`\n",
		"\n## Not analyzed\n\n- `/c/d`: corefile: not an ELF core\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteJUnitHandBuilt(t *testing.T) {
	var b bytes.Buffer
	if err := handBuilt().WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var s junitSuite
	if err := xml.Unmarshal(b.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Tests != 3 || s.Failures != 2 || s.Errors != 1 || len(s.Cases) != 3 {
		t.Fatalf("suite %+v", s)
	}
	c := s.Cases[0]
	if c.Classname != "crash.null-dereference" || c.Failure == nil || c.Failure.Message != "2 core(s): SIGSEGV null-dereference: parse_row ← main" ||
		!strings.Contains(c.Failure.Text, "#0  parse_row\n") || !strings.Contains(c.Failure.Text, "cores:\n  /c/a.zst\n  /c/b\n") {
		t.Errorf("first case %+v", c)
	}
	if e := s.Cases[2]; e.Name != "/c/d" || e.Error == nil || e.Error.Message != "corefile: not an ELF core" {
		t.Errorf("error case %+v", e)
	}
}

func TestWriteJSONLHandBuilt(t *testing.T) {
	var b bytes.Buffer
	if err := handBuilt().WriteJSONL(&b); err != nil {
		t.Fatal(err)
	}
	var types []string
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		var v struct {
			Type    string          `json:"type"`
			Path    string          `json:"path"`
			Systemd *report.Systemd `json:"systemd"`
			Cores   int             `json:"cores"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", sc.Bytes(), err)
		}
		types = append(types, v.Type)
		if v.Path == "/c/a.zst" && (v.Systemd == nil || v.Systemd.Comm != "srv") {
			t.Errorf("row a lost systemd's record: %s", sc.Bytes())
		}
		if v.Type == "summary" && v.Cores != 4 {
			t.Errorf("summary %s", sc.Bytes())
		}
	}
	if strings.Join(types, " ") != "core core core core summary" {
		t.Errorf("types %v", types)
	}
}
