package analyze

import (
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

func TestAssertMsg(t *testing.T) {
	tests := []struct{ msg, file, line, function, expr string }{
		{"prog: main.c:6: check_answer: Assertion `x == 42' failed.", "main.c", "6", "check_answer", "x == 42"},
		{"a.out: src/x.c:120: Assertion `p != NULL' failed.", "src/x.c", "120", "", "p != NULL"},
		{"t: t.cc:3: int f(int): Assertion `a: b' failed.", "t.cc", "3", "int f(int)", "a: b"},
	}
	for _, tt := range tests {
		m := assertMsg().FindStringSubmatch(tt.msg)
		if m == nil || m[1] != tt.file || m[2] != tt.line || m[3] != tt.function || m[4] != tt.expr {
			t.Errorf("%q: got %q", tt.msg, m)
		}
	}
}

// TestAssertionFromCode: the assertion's expression, file, line and
// function are read from the caller's code before the call to
// __assert_fail, without glibc's __abort_msg (as with musl, or a glibc
// whose __abort_msg cannot be found).
func TestAssertionFromCode(t *testing.T) {
	f := testfixture.Get(t, "c-abort")
	s, err := Open(f.CoreZst, options(f))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	info := &report.AbortInfo{Cause: "assertion"} // no Message
	s.last.assertion(info, r.CrashedThread().Frames)
	if info.Assertion != "x == 42" || info.File != "main.c" || info.Line != 6 || info.Function != "check_answer" {
		t.Errorf("got %+v, want x == 42 at main.c:6 in check_answer", info)
	}
}
