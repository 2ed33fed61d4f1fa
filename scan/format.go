package scan

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/coreview/coreview/render"
	"github.com/coreview/coreview/report"
)

// WriteTable writes the per-core rows, then the signature groups, then
// each group's example frames (the crashed thread's top frames in its
// first core), for a terminal.
func (res *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "CORE\tPROCESS\tSIGNAL\tDIAGNOSIS\tSIGNATURE\tTOP FRAME\n")
	for _, r := range res.Rows {
		if r.Error != "" && r.SignatureHash == "" {
			fmt.Fprintf(tw, "%s\t%s\t-\terror\t-\t%s\n", r.Path, r.process(), r.Error)
			continue
		}
		top := "-"
		if len(r.Frames) > 0 {
			top = r.Frames[0]
		}
		diag := "-"
		if len(r.Diagnoses) > 0 {
			diag = r.Diagnoses[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Path, r.process(), r.Signal, diag, r.SignatureHash, top)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d cores, %d distinct crashes, %d could not be analyzed\n", len(res.Rows), len(res.Groups), res.Errors)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "COUNT\tSIGNATURE\tDIAGNOSIS\tFIRST CORE\tCRASH\n")
	for _, g := range res.Groups {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", g.Count, g.SignatureHash, g.Diagnosis, g.FirstCore, g.Signature)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, g := range res.Groups {
		fmt.Fprintf(w, "\n%s (%d core(s)): %s\n", g.SignatureHash, g.Count, g.Signature)
		for i, f := range g.Frames {
			fmt.Fprintf(w, "  #%d  %s\n", i, f)
		}
	}
	return nil
}

// process names a row's process for the table: "comm[pid]", from what
// systemd-coredump recorded (with the time it did) or else from the core,
// "-" when neither says.
func (r *Row) process() string {
	comm, pid, when := "", r.PID, ""
	if r.Exe != "" {
		comm = filepath.Base(r.Exe)
	}
	if m := r.Systemd; m != nil {
		if m.Comm != "" {
			comm = m.Comm
		}
		if m.PID != 0 {
			pid = m.PID
		}
		if !m.Time.IsZero() {
			when = " " + m.Time.UTC().Format("2006-01-02T15:04:05Z")
		}
	}
	switch {
	case comm == "" && pid == 0:
		return "-"
	case pid == 0:
		return comm + when
	}
	return fmt.Sprintf("%s[%d]%s", comm, pid, when)
}

// WriteJSONL writes one JSON object per core, then one summary object.
func (res *Result) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range res.Rows {
		if err := enc.Encode(struct {
			Type string `json:"type"`
			Row
		}{"core", r}); err != nil {
			return err
		}
	}
	return enc.Encode(struct {
		Type   string  `json:"type"`
		Cores  int     `json:"cores"`
		Errors int     `json:"errors"`
		Groups []Group `json:"groups"`
	}{"summary", len(res.Rows), res.Errors, res.Groups})
}

// WriteJSON writes the whole scan as one object.
func (res *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Schema string `json:"schema"`
		*Result
	}{"coreview.scan/v1", res})
}

// WriteMarkdown writes a bug-tracker-ready summary: one section per
// distinct crash, the cores that hit it, and the errors.
func (res *Result) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	printf := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	printf("# Crash scan: %d cores, %d distinct crashes\n\n", len(res.Rows), len(res.Groups))
	rows := map[string]*report.Systemd{}
	for _, r := range res.Rows {
		rows[r.Path] = r.Systemd
	}
	if len(res.Groups) > 0 {
		printf("| count | signature | diagnosis | first core |\n|---:|---|---|---|\n")
		for _, g := range res.Groups {
			printf("| %d | `%s` | %s | `%s` |\n", g.Count, g.SignatureHash, g.Diagnosis, g.FirstCore)
		}
	}
	for _, g := range res.Groups {
		printf("\n## %s\n\n", render.EscapeMarkdown(g.Signature))
		if g.Summary != "" {
			printf("%s\n\n", g.Summary)
		}
		printf("```\n")
		for i, f := range g.Frames {
			printf("#%d  %s\n", i, f)
		}
		printf("```\n\n<details><summary>%d core(s)</summary>\n\n", g.Count)
		for _, c := range g.Cores {
			printf("- `%s`", c)
			if sd := rows[c].Line(); sd != "" {
				printf(" (systemd-coredump: %s)", render.EscapeMarkdown(sd))
			}
			printf("\n")
		}
		printf("\n</details>\n")
	}
	if res.Errors > 0 {
		printf("\n## Not analyzed\n\n")
		for _, r := range res.Rows {
			if r.Error != "" {
				printf("- `%s`: %s\n", r.Path, render.EscapeMarkdown(r.Error))
			}
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// JUnit XML as Ant's XMLJUnitResultFormatter and Maven Surefire write it,
// the form every CI system reads: a <testsuite> root, one failing testcase
// per distinct crash, one erroring testcase per core that could not be
// analyzed.
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the scan as JUnit XML.
func (res *Result) WriteJUnit(w io.Writer) error {
	s := junitSuite{Name: "coreview", Time: "0"}
	for _, g := range res.Groups {
		var text strings.Builder
		fmt.Fprintf(&text, "%s\n\n", g.Summary)
		for i, f := range g.Frames {
			fmt.Fprintf(&text, "#%d  %s\n", i, f)
		}
		fmt.Fprintf(&text, "\ncores:\n")
		for _, c := range g.Cores {
			fmt.Fprintf(&text, "  %s\n", c)
		}
		s.Cases = append(s.Cases, junitCase{
			Name: g.Signature, Classname: "crash." + g.Diagnosis, Time: "0",
			Failure: &junitMessage{Message: fmt.Sprintf("%d core(s): %s", g.Count, g.Signature), Type: g.Diagnosis, Text: text.String()},
		})
		s.Failures++
	}
	for _, r := range res.Rows {
		if r.Error == "" || r.SignatureHash != "" {
			continue
		}
		s.Cases = append(s.Cases, junitCase{Name: r.Path, Classname: "core.unreadable", Time: "0",
			Error: &junitMessage{Message: r.Error, Type: "unreadable", Text: r.Error}})
		s.Errors++
	}
	s.Tests = len(s.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
