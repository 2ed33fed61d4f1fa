package render

import (
	"strings"
	"testing"
)

// FuzzEscape: whatever a core's string holds, Sanitize leaves no control
// character, EscapeMarkdown no newline, a code span has one opening and
// one closing delimiter run, and no fence can be closed by its body.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{evilArg, evilPath, evilFunc, "", "`", "a``b", "\xff\xfe", "<T as Trait>::f|*p_x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Sanitize(s)
		for _, r := range c {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("Sanitize(%q) = %q keeps %U", s, c, r)
			}
		}
		if strings.ContainsAny(EscapeMarkdown(s), "\n\r") {
			t.Fatalf("EscapeMarkdown(%q) has a line break", s)
		}
		span := CodeSpan(s)
		if s == "" {
			return // "``", as the reports have always written an empty span
		}
		ticks := longestRun(Sanitize(s), '`') + 1
		if !strings.HasPrefix(span, strings.Repeat("`", ticks)) || strings.HasPrefix(span, strings.Repeat("`", ticks+1)) {
			t.Fatalf("CodeSpan(%q) = %q: wrong delimiter", s, span)
		}
		body := Sanitize(s)
		if fence := Fence(body); strings.Contains(body, fence) {
			t.Fatalf("Fence(%q) = %q occurs in the body", body, fence)
		}
	})
}
