package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/coreview/coreview/report"
)

// The strings an attacker puts in a core: a command line that retitles
// and clears the terminal, a mapped file's name that closes fences and
// <details> and adds headings, a symbol with backticks and a newline.
const (
	evilArg  = "\x1b]0;owned\a\x1b[2J"
	evilPath = "/tmp/x```\n</details>\n\n# INJECTED\n<img src=x onerror=alert(1)>`"
	evilFunc = "f``` \n# INJECTED\x9b"
)

func hostileReport() *report.Report {
	r := handBuilt()
	r.Process.Args = append(r.Process.Args, evilArg)
	r.Process.Exe = evilPath
	r.Mappings = append(r.Mappings, report.Mapping{Start: 0x500000, End: 0x501000, Perms: "r--", File: evilPath})
	r.Modules = append(r.Modules, report.Module{Path: evilPath, Status: report.StatusMissing})
	r.Threads[1].Frames[0].Function = evilFunc
	r.Warnings = append(r.Warnings, "module "+evilPath+": file not found")
	r.Signal.Where = "in " + evilPath
	return r
}

// checkInert fails if out holds a control character other than newline
// and tab, or a line a Markdown reader would take as the attacker's.
func checkInert(t *testing.T, what, out string) {
	t.Helper()
	for _, c := range []string{"\x1b", "\a", "\x9b", "\u009b", "\r"} {
		if strings.Contains(out, c) {
			t.Errorf("%s: raw %q in the output", what, c)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "# INJECTED") || strings.HasPrefix(line, "<img") {
			t.Errorf("%s: injected line %q", what, line)
		}
	}
	if !strings.Contains(out, `\x1b`) {
		t.Errorf("%s: ESC not shown as \\x1b", what)
	}
}

func TestTextEscapesControlCharacters(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, hostileReport(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	checkInert(t, "text", b.String())
	var m bytes.Buffer
	Maps(&m, hostileReport())
	if strings.Count(m.String(), "\n") != len(hostileReport().Mappings)+2 {
		t.Errorf("maps: a file name added lines:\n%s", m.String())
	}
}

// TestMarkdownInert: nothing from the core closes a fence, a code span or
// a <details>, or starts a heading; fences outgrow backtick runs.
func TestMarkdownInert(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, hostileReport(), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkInert(t, "markdown", out)
	// The core's </details> stays inside code or escaped; a tag that
	// closes a section starts a line, and only ours do.
	closes := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "</details>") {
			closes++
		}
	}
	if closes != 3 || strings.Contains(out, "&lt;/details&gt;") == false {
		t.Errorf("%d lines close a <details>, want our 3; escaped in prose: %v", closes, strings.Contains(out, "&lt;/details&gt;"))
	}
	// Every fence line opens or closes a block of ours: balanced, and
	// each block's closing fence is its opening one.
	var open string
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "```") {
			continue
		}
		switch {
		case open == "":
			open = line
		case line == open:
			open = ""
		default:
			t.Errorf("fence %q inside a block opened by %q", line, open)
		}
	}
	if open != "" {
		t.Errorf("block opened by %q never closed", open)
	}
	if !strings.Contains(out, "````") {
		t.Error("no fence longer than the ``` inside the frames")
	}
}

func TestCodeSpanAndFence(t *testing.T) {
	for in, want := range map[string]string{
		"plain":  "`plain`",
		"a`b":    "``a`b``",
		"`x":     "`` `x ``",
		"a``b`":  "``` a``b` ```",
		"x\ny":   "`x\\ny`",
		"<T>|_*": "`<T>|_*`",
	} {
		if got := CodeSpan(in); got != want {
			t.Errorf("CodeSpan(%q) = %q, want %q", in, got, want)
		}
	}
	if got := TableCode("a|b"); got != "`a\\|b`" {
		t.Errorf("TableCode = %q", got)
	}
	if Fence("no ticks") != "```" || Fence("x ```` y") != "`````" {
		t.Errorf("Fence: %q %q", Fence("no ticks"), Fence("x ```` y"))
	}
	if got := Sanitize("ok ünï \x00\x7f\xff\u0085"); got != `ok ünï \x00\x7f\xff\u0085` {
		t.Errorf("Sanitize = %q", got)
	}
	if got, want := EscapeMarkdown("a`b\n# c \\"), "a\\`b\\\\n# c \\\\"; got != want {
		t.Errorf("EscapeMarkdown = %q, want %q", got, want)
	}
	if got, want := EscapeMarkdown("the assertion `x_1 == 2`"), "the assertion `x\\_1 == 2`"; got != want {
		t.Errorf("EscapeMarkdown = %q, want %q", got, want)
	}
}
