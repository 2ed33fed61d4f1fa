package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/coreview/coreview/report"
)

// TestTextCrashSite renders a hand-built report's input, registers and
// listing: the crashed thread's registers under the diagnoses, every
// thread's with Registers, the PC's instruction marked.
func TestTextCrashSite(t *testing.T) {
	file := "input.rs"
	r := &report.Report{Process: report.Process{Args: []string{"rustc", "input.rs"}},
		Inputs: []report.Input{{File: &file, Size: 100, Offset: 10, Line: 1, Column: 11, Excerpt: "((((", HeldBy: "rdi of #0", Frames: 3}},
		Threads: []report.Thread{
			{TID: 7, Crashed: true, EndReason: "end of stack", Registers: report.Registers{{Name: "rax", Value: 1}, {Name: "rip", Value: 0x401000}},
				Disassembly: []report.Instruction{{Address: 0x400ffd, Bytes: "4889e5", Instruction: "mov rbp, rsp"},
					{Address: 0x401000, Bytes: "488b07", Instruction: "mov rax, qword ptr [rdi]", Current: true}},
				DisassemblyAt: report.ListingPC},
			{TID: 8, EndReason: "end of stack", Registers: report.Registers{{Name: "rax", Value: 2}}},
		}}
	var b bytes.Buffer
	if err := Text(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"The crashed thread was reading input.rs (100 bytes): frame #0's rdi points at byte 10 (line 1, column 11): `((((`",
		"registers (thread 7):\n  rax     0x0000000000000001  rip     0x0000000000401000\n",
		"code at the crash (thread 7):\n     0x0000000000400ffd  48 89 e5",
		"  => 0x0000000000401000  48 8b 07                       mov rax, qword ptr [rdi]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "0x0000000000000002") {
		t.Errorf("thread 8's registers printed without Registers:\n%s", out)
	}
	b.Reset()
	Text(&b, r, TextOptions{Registers: true})
	if !strings.Contains(b.String(), "  registers:\n    rax     0x0000000000000002") {
		t.Errorf("Registers: thread 8's registers missing:\n%s", b.String())
	}
	b.Reset()
	if err := Markdown(&b, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "The crashed thread was reading input.rs (100 bytes): frame #0's rdi points at byte 10 (line 1, column 11): `((((`") {
		t.Errorf("markdown lacks the input:\n%s", b.String())
	}
	if strings.Contains(b.String(), "0x0000000000000002") {
		t.Errorf("markdown printed thread 8's registers without Registers:\n%s", b.String())
	}
	b.Reset()
	MarkdownWith(&b, r, MarkdownOptions{Registers: true})
	if !strings.Contains(b.String(), "registers:\n  rax     0x0000000000000002") {
		t.Errorf("markdown with Registers lacks thread 8's:\n%s", b.String())
	}
}
