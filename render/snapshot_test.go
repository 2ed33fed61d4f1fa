package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/coreview/coreview/report"
)

// TestSnapshot: a snapshot's text and Markdown say it is one, name no
// crash, mark no thread crashed and still list every thread's frames.
func TestSnapshot(t *testing.T) {
	r := &report.Report{Core: "gcore.7", Snapshot: true, Process: report.Process{PID: 7, Exe: "/usr/bin/sleep"},
		Signature: "snapshot in sleep: sleep+0x64af", SignatureHash: "0123456789abcdef",
		Threads: []report.Thread{
			{TID: 7, EndReason: "end of stack", Frames: []report.Frame{{Function: "clock_nanosleep", Module: "libc.so.6", PC: 0x7f0000001000, Method: report.MethodContext}}},
			{TID: 8, EndReason: "end of stack", Frames: []report.Frame{{Function: "read", Module: "libc.so.6", PC: 0x7f0000002000, Method: report.MethodContext}}},
		}}
	var b bytes.Buffer
	if err := Text(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "\nsnapshot a core of a running process") || strings.Contains(out, "\ncrash ") || strings.Contains(out, "(crashed)") ||
		!strings.Contains(out, "clock_nanosleep") || !strings.Contains(out, "read") {
		t.Errorf("text:\n%s", out)
	}
	b.Reset()
	if err := Markdown(&b, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out = b.String()
	if !strings.HasPrefix(out, "## Snapshot") || !strings.Contains(out, "**Snapshot:**") || !strings.Contains(out, "### Thread 7 ") ||
		!strings.Contains(out, "Other threads (1)") || strings.Contains(out, "Crashed thread") {
		t.Errorf("markdown:\n%s", out)
	}
}
