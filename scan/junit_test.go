package scan

import (
	"bytes"
	"encoding/xml"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coreview/coreview/report"
)

// TestJUnitTimes: the suite says when the scan began (local time without a
// zone, as Ant's schema wants), on which host, and how long it took; each
// case, its cores' analyses added up.
func TestJUnitTimes(t *testing.T) {
	res := handBuilt()
	res.Started = time.Date(2026, 12, 1, 20, 10, 5, 0, time.Local)
	res.Elapsed = 2500 * time.Millisecond
	res.Rows[0].Seconds, res.Rows[1].Seconds, res.Rows[2].Seconds, res.Rows[3].Seconds = 0.25, 0.5, 1, 0.125
	var b bytes.Buffer
	res.WriteJUnit(&b)
	var s junitSuite
	if err := xml.Unmarshal(b.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if s.Timestamp != "2026-12-01T20:10:05" || s.Hostname != host || s.Time != "2.500" {
		t.Errorf("suite timestamp %q hostname %q time %q", s.Timestamp, s.Hostname, s.Time)
	}
	if s.Cases[0].Time != "0.750" || s.Cases[1].Time != "1.000" || s.Cases[2].Time != "0.125" {
		t.Errorf("case times %q %q %q", s.Cases[0].Time, s.Cases[1].Time, s.Cases[2].Time)
	}
}

// TestJUnitEmpty: a scan that found no core, or no crash, is one passing
// case, not an empty suite that CI systems read as "no tests ran".
func TestJUnitEmpty(t *testing.T) {
	res := &Result{Rows: []Row{}}
	res.group()
	var b bytes.Buffer
	res.WriteJUnit(&b)
	var s junitSuite
	if err := xml.Unmarshal(b.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Tests != 1 || s.Failures != 0 || s.Errors != 0 || len(s.Cases) != 1 || s.Cases[0].Name != "no crash in 0 core(s)" {
		t.Errorf("empty scan: %+v\n%s", s, b.String())
	}
}

// TestTopFrame: the table's TOP FRAME is where the signature starts, not
// the abort machinery every abort shares.
func TestTopFrame(t *testing.T) {
	res := handBuilt()
	res.Rows[2].Frames = []string{"__pthread_kill_implementation", "raise", "abort", "check_input"}
	res.Rows[2].Stack = []report.Location{{Function: "check_input", Frame: 3}}
	var b bytes.Buffer
	res.WriteTable(&b)
	if !strings.Contains(b.String(), "2222222222222222  check_input\n") {
		t.Errorf("TOP FRAME:\n%s", b.String())
	}
}

// TestMarkdownCells: paths with pipes and backticks stay in their cells.
func TestMarkdownCells(t *testing.T) {
	res := handBuilt()
	for i := range res.Rows {
		res.Rows[i].Path = strings.Replace(res.Rows[i].Path, "/c/", "/c|`x`/", 1)
	}
	res.group()
	var b bytes.Buffer
	res.WriteMarkdown(&b)
	for _, want := range []string{
		"| 2 | `1111111111111111` | null-dereference | ``/c\\|`x`/a.zst`` |\n",
		"- ``/c|`x`/a.zst`` (systemd-coredump",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "| ") && strings.Count(strings.ReplaceAll(l, `\|`, ""), "|") != 5 {
			t.Errorf("a table row with more cells: %q", l)
		}
	}
}
