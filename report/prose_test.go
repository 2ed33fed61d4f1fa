package report

import (
	"fmt"
	"strings"
	"testing"
)

func TestBoundedList(t *testing.T) {
	items := func(n int) []string {
		var s []string
		for i := 0; i < n; i++ {
			s = append(s, fmt.Sprint("f", i))
		}
		return s
	}
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, "f0"},
		{8, "f0 → f1 → f2 → f3 → f4 → f5 → f6 → f7"},
		{9, "f0 → f1 → f2 → f3 → … (2 more) … → f6 → f7 → f8"},
		{63873, "f0 → f1 → f2 → f3 → … (63,866 more) … → f63870 → f63871 → f63872"},
	} {
		if got := boundedList(items(tc.n), " → "); got != tc.want {
			t.Errorf("%d items: %q, want %q", tc.n, got, tc.want)
		}
	}
	lines := boundedLines(items(1000), "stack switches")
	if len(lines) != listHead+listTail+1 || lines[listHead] != "… and 993 more stack switches …" || lines[len(lines)-1] != "f999" {
		t.Errorf("boundedLines: %q", lines)
	}
	if got := boundedLines(items(3), "x"); strings.Join(got, ",") != "f0,f1,f2" {
		t.Errorf("short list changed: %q", got)
	}
}
