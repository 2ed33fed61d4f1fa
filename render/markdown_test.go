package render

import (
	"bytes"
	"strings"
	"testing"
)

// TestMarkdownHandBuilt: the Markdown report of a hand-built report: a
// title with the signal, the primary diagnosis and the top frame; text
// coreview did not write escaped (the hint's and the warning's
// underscores); the crashed thread in a fenced block, the other threads,
// the memory map and the environment in collapsible sections.
func TestMarkdownHandBuilt(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, handBuilt(), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	inOrder(t, out,
		"## SIGSEGV: stack-overflow in descend",
		"**Signal:** SIGSEGV (SEGV_MAPERR: address not mapped) in thread 42 at `0x7ffd1000fff8` in the guard page below thread 42's stack  ",
		"**systemd-coredump:** comm prog, uid 1000, pid 42, time 2023-11-14 22:13:20.000000 UTC  ",
		"**Signature:** `SIGSEGV stack-overflow: descend ← main` (`0123456789abcdef`)",
		"**stack-overflow** — Thread 42 ran out of stack.",
		"- descend recursed 5 times.",
		`- _Hint:_ Bound the recursion\_depth.`,
		"### Crashed thread 42 (8 frames, end of stack)",
		"```",
		"  #1–#4                      descend ×4",
		"```",
		"<details><summary>Other threads (1)</summary>",
		"**thread 43**: 1 frames, unreadable memory — `futex_wait`",
		"<details><summary>Memory map (4 mappings)</summary>",
		"00007ffd10000000  00007ffd10800000  8M    rw-   stack   42                    ",
		"(* = bytes not in the core)",
		"<details><summary>Environment</summary>",
		"- command line: `prog -n <5>`",
		"- `/usr/bin/prog` build-id `bb` (mismatch)",
		"- `/lib/libc.so.6` build-id `cc` (ok)",
		"**Warnings**",
		`- module /usr/bin/prog: no .eh\_frame`,
	)
	if strings.Count(out, "```") != 6 {
		t.Errorf("want 3 fenced blocks (crashed thread, other threads, map):\n%s", out)
	}
}

// TestEscapeMarkdown: what Markdown would read as markup or HTML.
func TestEscapeMarkdown(t *testing.T) {
	if got, want := EscapeMarkdown("<T as Trait>::f|*p_x"), `&lt;T as Trait&gt;::f\|\*p\_x`; got != want {
		t.Errorf("EscapeMarkdown = %q, want %q", got, want)
	}
}
