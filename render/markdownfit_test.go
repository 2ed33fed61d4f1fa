package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/coreview/coreview/report"
)

// manyThreads is the hand-built report with n more threads parked on one
// stack and a mapping per thread.
func manyThreads(n int) *report.Report {
	r := handBuilt()
	for i := 0; i < n; i++ {
		r.Threads = append(r.Threads, report.Thread{TID: 100 + i, EndReason: "end of stack", Frames: report.FrameList{
			{Index: 0, PC: 0x7f0000091000, Function: "__futex_abstimed_wait_common", Module: "libc.so.6", Method: report.MethodContext},
			{Index: 1, PC: 0x7f0000092000, Function: "pthread_cond_wait", Module: "libc.so.6", Method: report.MethodCFI},
			{Index: 2, PC: 0x401300, Function: "worker", Module: "prog", Method: report.MethodCFI},
			{Index: 3, PC: 0x7f0000093000, Function: "start_thread", Module: "libc.so.6", Method: report.MethodCFI},
		}})
		r.Mappings = append(r.Mappings, report.Mapping{Start: report.Addr(0x7e0000000000 + i<<20), End: report.Addr(0x7e0000000000 + i<<20 + 1<<16),
			Perms: "rw-", Role: report.RoleStack, Owner: 100 + i, Dumped: true})
	}
	return r
}

// TestMarkdownGroupsThreads: threads with identical stacks are one group
// with a one-line stack and their ids, printed once.
func TestMarkdownGroupsThreads(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, manyThreads(41), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	inOrder(t, out,
		"<details><summary>Other threads (42, 2 distinct stacks)</summary>",
		"**41 threads**: 4 frames, end of stack — `__futex_abstimed_wait_common ← pthread_cond_wait ← worker`  ",
		"",
		"```",
		"  #2  0x0000000000401300  worker+0x0 (prog)",
		"**thread 43**: 1 frames, unreadable memory — `futex_wait`",
	)
	if !strings.Contains(out, "\nthreads 100, 101, 102, ") {
		t.Error("the group does not list its threads")
	}
	if n := strings.Count(out, "worker+0x0 (prog)"); n != 1 {
		t.Errorf("the group's stack is printed %d times, want once", n)
	}
}

// TestMarkdownLimit: a report over the limit loses the other threads'
// stacks first (each group still a line), then the memory map, keeps the
// crashed thread, says what it left out and how to get it, and fits.
func TestMarkdownLimit(t *testing.T) {
	r := manyThreads(2000)
	// Two thousand distinct stacks: each thread calls its own worker.
	for i := 2; i < len(r.Threads); i++ {
		r.Threads[i].Frames[2].Function = fmt.Sprintf("worker_%d", i)
	}
	var full bytes.Buffer
	Markdown(&full, r, MarkdownOptions{})
	for _, limit := range []int{DefaultMarkdownLimit, 20000, 4000} {
		var b bytes.Buffer
		if err := Markdown(&b, r, MarkdownOptions{Limit: limit}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if n := chars(out); n > limit || n < limit/2 {
			t.Errorf("limit %d: %d characters (full: %d)", limit, n, chars(full.String()))
		}
		for _, s := range []string{"### Crashed thread 42", "descend ×4", "Cut to fit", "`coreview analyze /tmp/core.prog.1000.abc.42.1700000000000000.zst --format markdown --thread all`"} {
			if !strings.Contains(out, s) {
				t.Errorf("limit %d: no %q", limit, s)
			}
		}
		if strings.Count(out, "```")%2 != 0 {
			t.Errorf("limit %d: an unclosed code block", limit)
		}
		if strings.Contains(out, "<details><summary>Memory map") == strings.Contains(out, "the memory map (2004 mappings") {
			t.Errorf("limit %d: the memory map is both there and said to be cut, or neither", limit)
		}
	}
	var b bytes.Buffer
	Markdown(&b, r, MarkdownOptions{Limit: DefaultMarkdownLimit})
	if out := b.String(); !strings.Contains(out, "left out the frames of") || !strings.Contains(out, "worker_2`") {
		t.Errorf("at the default limit, threads should be cut to a line each:\n%s", out[len(out)-500:])
	}
	// The limit is what a report that fits never notices.
	small := handBuilt()
	var a, c bytes.Buffer
	Markdown(&a, small, MarkdownOptions{})
	Markdown(&c, small, MarkdownOptions{Limit: DefaultMarkdownLimit})
	if a.String() != c.String() {
		t.Error("a report under the limit changed")
	}
}

// TestMarkdownThreadsAndCollapse: --thread and --no-collapse apply.
func TestMarkdownThreadsAndCollapse(t *testing.T) {
	var b bytes.Buffer
	Markdown(&b, handBuilt(), MarkdownOptions{Threads: "crashed", NoCollapse: true})
	out := b.String()
	if strings.Contains(out, "Other threads") || strings.Contains(out, "descend ×") || strings.Count(out, "descend+0x16") != 5 {
		t.Errorf("--thread crashed --no-collapse:\n%s", out)
	}
	b.Reset()
	Markdown(&b, handBuilt(), MarkdownOptions{Threads: "43"})
	if out := b.String(); strings.Contains(out, "### Crashed thread") || !strings.Contains(out, "**thread 43**") {
		t.Errorf("--thread 43:\n%s", out)
	}
}

// TestMarkdownCode: code spans and blocks hold any backticks.
func TestMarkdownCode(t *testing.T) {
	for in, want := range map[string]string{
		"plain":      "`plain`",
		"a`b":        "``a`b``",
		"`x":         "`` `x ``",
		"a``b":       "```a``b```",
		"two\nlines": "`two\\nlines`", // sanitized: a code span is one line
	} {
		if got := CodeSpan(in); got != want {
			t.Errorf("CodeSpan(%q) = %q, want %q", in, got, want)
		}
	}
	if got := CodeBlock("x ``` y"); !strings.HasPrefix(got, "````\n") || !strings.HasSuffix(got, "\n````\n") {
		t.Errorf("mdBlock = %q", got)
	}
}
