package analyze

import (
	"strings"
	"testing"
)

// TestLiveRustcInput answers the Oxide write-up's question on a real
// compiler: from the core alone, which file was rustc compiling, and where
// in it was the lexer? rustc reads input.rs into a String on its heap; the
// lexer's cursor (a Chars iterator) moves one byte per nested parenthesis,
// and each nesting level is one more lex_token_trees frame, so the byte it
// points at when the stack runs out is the prefix plus the depth the
// recursion reached.
func TestLiveRustcInput(t *testing.T) {
	t.Parallel()
	core, rustc := liveRustcCore(t, "input.rs", lexerOverflow)
	s, err := Open(core, Options{Binary: rustc})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	in := s.last.findInputs()
	if len(in) == 0 {
		t.Fatal("no input found")
	}
	got := in[0]
	t.Logf("%+v", got)
	if !strings.HasSuffix(got.File, "/input.rs") || got.Size != int64(len(lexerOverflow)) {
		t.Errorf("input %q (%d bytes), want input.rs (%d bytes)", got.File, got.Size, len(lexerOverflow))
	}
	depth := 0
	for _, f := range r.CrashedThread().Frames {
		if strings.Contains(f.Function, "lex_token_trees") {
			depth++
		}
	}
	prefix := strings.Index(lexerOverflow, "(")
	cursor := int64(prefix + depth)
	t.Logf("offset %d, the lexer's cursor about %d (%d nested lex_token_trees frames)", got.Offset, cursor, depth)
	if got.Offset < cursor-64 || got.Offset > cursor+64 {
		t.Errorf("offset %d, the lexer's cursor is at about %d (%d nested lex_token_trees frames)", got.Offset, cursor, depth)
	}
}
