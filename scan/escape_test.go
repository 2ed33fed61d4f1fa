package scan

import (
	"bytes"
	"strings"
	"testing"
)

// TestFormatsEscapeCoreNames: a core's file name (which anyone who can
// write to the crash directory chooses) and what is read from it cannot
// drive the terminal, add table rows or close Markdown's code.
func TestFormatsEscapeCoreNames(t *testing.T) {
	res := handBuilt()
	evil := "/c/\x1b[2J\x1b]0;owned\a`|x\n# INJECTED\n```"
	res.Rows[0].Path = evil
	res.Rows[0].Frames = []string{"parse_row```\n# INJECTED", "main"}
	res.Rows[3].Path = evil + ".unreadable"
	res.Rows[3].Error = "open " + evil + ": permission denied"
	res.group()
	var tb, mb bytes.Buffer
	if err := res.WriteTable(&tb); err != nil {
		t.Fatal(err)
	}
	if err := res.WriteMarkdown(&mb); err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]string{"table": tb.String(), "markdown": mb.String()} {
		if strings.ContainsAny(out, "\x1b\a") {
			t.Errorf("%s: raw control characters", what)
		}
		if !strings.Contains(out, `\x1b[2J`) {
			t.Errorf("%s: ESC not shown as \\x1b", what)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "# INJECTED") {
				t.Errorf("%s: injected line %q", what, line)
			}
		}
	}
	if n := strings.Count(tb.String(), "\n"); n != strings.Count(func() string { var b bytes.Buffer; handBuilt().WriteTable(&b); return b.String() }(), "\n") {
		t.Errorf("table has %d lines, a file name added some:\n%s", n, tb.String())
	}
	// Each group's table row stays one row with four cells, the one
	// whose first core is the evil name included.
	rows := 0
	for _, line := range strings.Split(mb.String(), "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| count") {
			rows++
			if strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 5 {
				t.Errorf("table row split by the name: %q", line)
			}
		}
	}
	if rows != len(res.Groups) || !strings.Contains(mb.String(), "INJECTED") {
		t.Errorf("%d table rows for %d groups", rows, len(res.Groups))
	}
}
