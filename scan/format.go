package scan

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
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
	base, baseCol := "", func(string) string { return "" }
	if res.baselined {
		base, baseCol = "\tBASELINE", func(b string) string { return "\t" + nameOr(b, "-") }
	}
	fmt.Fprintf(tw, "CORE\tPROCESS\tSIGNAL\tDIAGNOSIS\tSIGNATURE%s\tTOP FRAME\n", base)
	for _, r := range res.Rows {
		if r.Error != "" && r.SignatureHash == "" {
			fmt.Fprintf(tw, "%s\t%s\t-\terror\t-%s\t%s\n", cell(r.Path), cell(r.process()), baseCol(""), cell(r.Error))
			continue
		}
		diag := "-"
		if len(r.Diagnoses) > 0 {
			diag = r.Diagnoses[0]
		}
		sig := r.Signal
		if r.Snapshot {
			sig, diag = "snapshot", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%s\t%s\n", cell(r.Path), cell(r.process()), sig, diag, r.SignatureHash, baseCol(r.Baseline), cell(r.topFrame()))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d cores, %d distinct crashes, %d could not be analyzed", len(res.Rows), len(res.Groups), res.Errors)
	if res.New != nil {
		fmt.Fprintf(w, ", %d new (not in the baseline)", *res.New)
	}
	if n := res.SnapshotCount(); n > 0 {
		fmt.Fprintf(w, ", %d snapshot(s) of running processes (not crashes)", n)
	}
	fmt.Fprintf(w, "\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "COUNT\tSIGNATURE%s\tDIAGNOSIS\tFIRST CORE\tCRASH\n", base)
	for _, g := range res.Groups {
		fmt.Fprintf(tw, "%d\t%s%s\t%s\t%s\t%s\n", g.Count, g.SignatureHash, baseCol(g.Baseline), g.Diagnosis, cell(g.FirstCore), cell(g.Signature))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, g := range res.Groups {
		fmt.Fprintf(w, "\n%s (%d core(s)): %s\n", g.SignatureHash, g.Count, render.Sanitize(g.Signature))
		for i, f := range g.Frames {
			fmt.Fprintf(w, "  #%d  %s\n", i, render.Sanitize(f))
		}
	}
	for _, g := range res.Snapshots {
		fmt.Fprintf(w, "\n%s (%d snapshot(s)): %s\n", g.SignatureHash, g.Count, g.Signature)
	}
	return nil
}

// topFrame is the row's first meaningful frame, where the signature
// starts (not the abort or raise machinery every abort shares); its first
// frame when the signature skipped them all.
func (r *Row) topFrame() string {
	if len(r.Stack) > 0 {
		return r.Stack[0].Function
	}
	if len(r.Frames) > 0 {
		return r.Frames[0]
	}
	return "-"
}

func nameOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// cell is a string from a core (a file name, a message quoting one) as a
// table cell: control characters escaped (a tab would shift the columns, a
// newline start a fake row, ESC drive the terminal).
func cell(s string) string { return render.Sanitize(s) }

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

// WriteJSONL writes one JSON object per core, then one summary object,
// each with the schema (coreview.scan.jsonl/v1) and its type.
func (res *Result) WriteJSONL(w io.Writer) error {
	jw := NewJSONLWriter(w)
	for _, r := range res.Rows {
		if err := jw.Row(r); err != nil {
			return err
		}
	}
	return res.WriteJSONLSummary(w)
}

// JSONLWriter writes scan rows as JSON lines, one at a time, so a scan can
// print each as it is done (Options.OnRow).
type JSONLWriter struct{ enc *json.Encoder }

// NewJSONLWriter returns a JSONLWriter writing to w.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONLWriter{enc}
}

// Row writes one core's line.
func (j *JSONLWriter) Row(r Row) error {
	return j.enc.Encode(struct {
		Schema string `json:"schema"`
		Type   string `json:"type"`
		Row
	}{JSONLSchema, "core", r})
}

// WriteJSONLSummary writes the summary line that ends WriteJSONL's output.
func (res *Result) WriteJSONLSummary(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Schema    string  `json:"schema"`
		Type      string  `json:"type"`
		Cores     int     `json:"cores"`
		Errors    int     `json:"errors"`
		New       *int    `json:"new,omitempty"`
		Groups    []Group `json:"groups"`
		Snapshots []Group `json:"snapshots"`
	}{JSONLSchema, "summary", len(res.Rows), res.Errors, res.New, res.Groups, res.Snapshots})
}

// Schema names the version of scan --format json.
const Schema = "coreview.scan/v1"

// WriteJSON writes the whole scan as one object.
func (res *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Schema string `json:"schema"`
		*Result
	}{Schema, res})
}

// WriteMarkdown writes a bug-tracker-ready summary: one section per
// distinct crash, the cores that hit it, and the errors.
func (res *Result) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	printf := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	printf("# Crash scan: %d cores, %d distinct crashes", len(res.Rows), len(res.Groups))
	if res.New != nil {
		printf(", %d new", *res.New)
	}
	if n := res.SnapshotCount(); n > 0 {
		printf(", %d snapshot(s)", n)
	}
	printf("\n\n")
	rows := map[string]*report.Systemd{}
	for _, r := range res.Rows {
		rows[r.Path] = r.Systemd
	}
	if len(res.Groups) > 0 {
		if res.baselined {
			printf("| count | signature | baseline | diagnosis | first core |\n|---:|---|---|---|---|\n")
		} else {
			printf("| count | signature | diagnosis | first core |\n|---:|---|---|---|\n")
		}
		for _, g := range res.Groups {
			printf("| %d | `%s` |", g.Count, g.SignatureHash)
			if res.baselined {
				printf(" %s |", g.Baseline)
			}
			printf(" %s | %s |\n", render.EscapeMarkdown(g.Diagnosis), render.TableCode(g.FirstCore))
		}
	}
	for _, g := range res.Groups {
		printf("\n## %s", render.EscapeMarkdown(g.Signature))
		if g.Baseline != "" {
			printf(" (%s)", g.Baseline)
		}
		printf("\n\n")
		if g.Summary != "" {
			printf("%s\n\n", render.EscapeMarkdown(g.Summary))
		}
		var frames strings.Builder
		for i, f := range g.Frames {
			fmt.Fprintf(&frames, "#%d  %s\n", i, render.Sanitize(f))
		}
		fence := render.Fence(frames.String())
		printf("%s\n%s%s\n\n<details><summary>%d core(s)</summary>\n\n", fence, frames.String(), fence, g.Count)
		for _, c := range g.Cores {
			printf("- %s", render.CodeSpan(c))
			if sd := rows[c].Line(); sd != "" {
				printf(" (systemd-coredump: %s)", render.EscapeMarkdown(sd))
			}
			printf("\n")
		}
		printf("\n</details>\n")
	}
	if len(res.Snapshots) > 0 {
		printf("\n## Snapshots (not crashes)\n\n")
		for _, g := range res.Snapshots {
			for _, c := range g.Cores {
				printf("- `%s`: %s\n", c, render.EscapeMarkdown(g.Signature))
			}
		}
	}
	if res.Errors > 0 {
		printf("\n## Not analyzed\n\n")
		for _, r := range res.Rows {
			if r.Error != "" {
				printf("- %s: %s\n", render.CodeSpan(r.Path), render.EscapeMarkdown(r.Error))
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
	XMLName   xml.Name    `xml:"testsuite"`
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Hostname  string      `xml:"hostname,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
}

// seconds writes a duration as JUnit's time attribute: seconds, to the
// millisecond.
func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the scan as JUnit XML: the suite's timestamp (when the
// scan began, local time without a zone, as Ant writes it and its schema
// requires), the machine's host name and the scan's time; each case's time
// is its cores' analyses added up. A crash the baseline knows is a skipped
// case, so it does not fail the build; a scan that found nothing is one
// passing case, which CI systems need to tell "no crash" from "no report".
func (res *Result) WriteJUnit(w io.Writer) error {
	s := junitSuite{Name: "coreview", Time: seconds(res.Elapsed.Seconds())}
	if !res.Started.IsZero() {
		s.Timestamp = res.Started.Format("2006-01-02T15:04:05")
	}
	if h, err := os.Hostname(); err == nil {
		s.Hostname = h
	}
	secs := map[string]float64{}
	for _, r := range res.Rows {
		secs[r.Path] += r.Seconds
	}
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
		t := 0.0
		for _, c := range g.Cores {
			t += secs[c]
		}
		msg := &junitMessage{Message: fmt.Sprintf("%d core(s): %s", g.Count, g.Signature), Type: nameOr(g.Diagnosis, "crash"), Text: text.String()}
		c := junitCase{Name: g.Signature, Classname: "crash." + nameOr(g.Diagnosis, "signal"), Time: seconds(t)}
		if g.Baseline == BaselineKnown {
			msg.Message = "known crash (in the baseline): " + msg.Message
			c.Skipped = msg
			s.Skipped++
		} else {
			c.Failure = msg
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
	}
	// A snapshot is a passing testcase: it was read, and it is no crash.
	for _, g := range res.Snapshots {
		for _, c := range g.Cores {
			s.Cases = append(s.Cases, junitCase{Name: c, Classname: "snapshot", Time: "0"})
		}
	}
	for _, r := range res.Rows {
		if r.Error == "" || r.SignatureHash != "" {
			continue
		}
		s.Cases = append(s.Cases, junitCase{Name: r.Path, Classname: "core.unreadable", Time: seconds(r.Seconds),
			Error: &junitMessage{Message: r.Error, Type: "unreadable", Text: r.Error}})
		s.Errors++
	}
	if len(s.Cases) == 0 {
		s.Cases = append(s.Cases, junitCase{Name: fmt.Sprintf("no crash in %d core(s)", len(res.Rows)), Classname: "coreview.scan", Time: s.Time})
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
