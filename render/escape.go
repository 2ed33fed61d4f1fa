package render

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Strings from a core (command lines, paths, symbol names, messages that
// quote them) reach a terminal or a Markdown page: an ESC]0;…BEL sets the
// terminal's title, ESC[2J clears it, a newline starts a fake line, a
// backtick closes a code span and "```" a fence. Everything the renderers
// print from a report passes through Sanitize; Markdown adds its own
// escaping for where the string lands (text, a code span, a fence, a
// table cell).

// Sanitize returns s with every control character (C0, DEL, C1) and every
// byte that is not UTF-8 written as a Go escape: ESC as \x1b, a newline as
// \n, a tab as \t, a stray byte as \xNN. Printable text, non-ASCII letters
// included, is unchanged.
func Sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// sanitizeArgs sanitizes the string arguments of a printf: the format is
// coreview's own, the arguments may come from the core.
func sanitizeArgs(args []any) []any {
	out := args
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			continue
		}
		if c := Sanitize(s); c != s {
			if &out[0] == &args[0] {
				out = append([]any(nil), args...)
			}
			out[i] = c
		}
	}
	return out
}

// fprintf is fmt.Fprintf with its string arguments sanitized.
func fprintf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format, sanitizeArgs(args)...)
}

// EscapeMarkdown makes text coreview did not write (function names, paths,
// messages) plain text in GitHub and GitLab Markdown: control characters
// and newlines sanitized (so it cannot start a heading, a list or a
// block), and the characters Markdown reads as markup or HTML escaped:
// \ < > | * _ (a table cell may hold it too). Backticks are kept when they
// pair up, as the code spans of a diagnosis's sentence do ("the assertion
// `x == 42`"); an odd one, which would open a span the text never closes,
// escapes them all.
func EscapeMarkdown(s string) string {
	s = mdEscaper.Replace(Sanitize(s))
	if strings.Count(s, "`")%2 != 0 {
		s = strings.ReplaceAll(s, "`", "\\`")
	}
	return s
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "<", "&lt;", ">", "&gt;", "|", "\\|", "*", "\\*", "_", "\\_")

// CodeSpan writes s as inline code: sanitized, between backtick strings
// longer than any run of backticks inside (CommonMark 6.1), with spaces
// inside the delimiters when s starts or ends with a backtick.
func CodeSpan(s string) string {
	s = Sanitize(s)
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return ticks + " " + s + " " + ticks
	}
	return ticks + s + ticks
}

// TableCode is CodeSpan for a table cell: GitHub splits cells at | even
// inside code, unless it is escaped.
func TableCode(s string) string { return strings.ReplaceAll(CodeSpan(s), "|", `\|`) }

// Fence returns the fence for a code block holding body: backticks, at
// least three and more than any run inside it (CommonMark 4.5), so no line
// of the body can close the block.
func Fence(body string) string {
	return strings.Repeat("`", max(3, longestRun(body, '`')+1))
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
