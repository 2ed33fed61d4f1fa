package render

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/coreview/coreview/report"
)

// TestHTMLHandBuilt: text coreview did not write is escaped, the page is
// well-formed enough for an XML parser to walk its SVG, and identical
// stacks are one collapsible group.
func TestHTMLHandBuilt(t *testing.T) {
	r := manyThreads(3)
	r.Diagnosis[0].StackOverflow.Stack = report.StackExtent{Kind: report.StackMain, Start: 0x7ffd10000000, End: 0x7ffd10800000, GuardStart: 0x7ffd0ff00000, GuardEnd: 0x7ffd10000000}
	r.Diagnosis[0].StackOverflow.SP, r.Diagnosis[0].StackOverflow.FaultAddress = 0x7ffd1000fff8, 0x7ffd0fffff00
	var b bytes.Buffer
	if err := HTML(&b, r, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"<code>prog -n &lt;5&gt;</code>",
		`<summary>3 threads (100, 101, 102): 4 frames, end of stack — <code>__futex_abstimed_wait_common ← pthread_cond_wait ← worker</code></summary>`,
		`<g class="guard">`, `✗ fault 0x7ffd0fffff00`, `◀ sp 0x7ffd1000fff8`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if strings.Contains(out, "<5>") {
		t.Error("unescaped text")
	}
	if strings.Contains(out, `\n`) || !strings.Contains(out, "descend+0x10 (prog) at /src/prog.c:7\n") {
		t.Error("the <pre> blocks lost their line breaks")
	}
	svg := out[strings.Index(out, "<svg") : strings.Index(out, "</svg>")+6]
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Errorf("the SVG is not well-formed: %v", err)
	}
}
