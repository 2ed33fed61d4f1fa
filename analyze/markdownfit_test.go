package analyze

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
)

func chars(s string) int { return utf8.RuneCountInString(s) }

// TestMarkdownFitsAnIssue: the report of a live 302-thread process (300
// parked in pthread_cond_wait through three worker functions, one crashed)
// stays under GitHub's 65,536 characters, groups the parked threads by
// their identical stacks, keeps the crashed thread whole, and says what it
// cut and how to get it.
func TestMarkdownFitsAnIssue(t *testing.T) {
	t.Parallel()
	core, prog := testfixture.LiveCCore(t, "many-threads")
	r, err := Analyze(core, Options{Binary: prog})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Threads) != 302 {
		t.Fatalf("%d threads, want 302", len(r.Threads))
	}
	var full, fit strings.Builder
	if err := render.Markdown(&full, r, render.MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := render.Markdown(&fit, r, render.MarkdownOptions{Limit: render.DefaultMarkdownLimit}); err != nil {
		t.Fatal(err)
	}
	md := fit.String()
	t.Logf("%d characters unlimited, %d within the limit", chars(full.String()), chars(md))
	if n := chars(md); n > render.DefaultMarkdownLimit {
		t.Fatalf("%d characters, over %d", n, render.DefaultMarkdownLimit)
	}
	// The three workers' stacks, each a group: io_worker for i%10 != 0
	// and i%3 != 0, cpu_worker for i%3 == 0 but not i%10, timer_worker
	// for i%10 == 0.
	want := map[string]int{"io_worker": 0, "cpu_worker": 0, "timer_worker": 0}
	for i := 0; i < 300; i++ {
		switch {
		case i%10 == 0:
			want["timer_worker"]++
		case i%3 == 0:
			want["cpu_worker"]++
		default:
			want["io_worker"]++
		}
	}
	for worker, n := range want {
		re := regexp.MustCompile(`\*\*` + strconv.Itoa(n) + ` threads\*\*: [^\n]*pthread_cond_wait ← park ← ` + worker)
		if !re.MatchString(full.String()) {
			t.Errorf("no group of %d threads in %s", n, worker)
		}
	}
	for _, s := range []string{"### Crashed thread", "take", "crasher"} {
		if !strings.Contains(md, s) {
			t.Errorf("the report lost %q", s)
		}
	}
	// Grouped, every thread's stack fits; the 626 mappings (a stack and a
	// guard per thread) do not, and the note says so.
	for worker, n := range want {
		if !strings.Contains(md, "**"+strconv.Itoa(n)+" threads**") || !strings.Contains(md, worker) {
			t.Errorf("the cut report lost the group of %d threads in %s", n, worker)
		}
	}
	if chars(full.String()) <= render.DefaultMarkdownLimit {
		t.Errorf("the uncut report has %d characters: it no longer tests a cut", chars(full.String()))
	}
	if !strings.Contains(md, "the memory map (626 mappings") || strings.Contains(md, "other threads (") && strings.Contains(md, "left out the frames") {
		t.Errorf("want only the memory map cut:\n%s", md[max(0, len(md)-600):])
	}
	// A limit the grouped report does not fit: threads first, then the
	// memory map, and a note that says so and how to get it all.
	var small strings.Builder
	limit := chars(full.String()) / 2
	render.Markdown(&small, r, render.MarkdownOptions{Limit: limit})
	s := small.String()
	if chars(s) > limit || !strings.Contains(s, "Cut to fit") || !strings.Contains(s, "--thread all") || !strings.Contains(s, "### Crashed thread") {
		t.Errorf("limit %d: %d characters:\n%s", limit, chars(s), s[max(0, len(s)-600):])
	}
}
