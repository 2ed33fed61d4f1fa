package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/symbolize"
)

// TestGoLayoutOnce: the runtime's layout is read from a module's DWARF
// once per session, not once per thread whose walk reaches
// runtime.systemstack or runtime.morestack; and it is the layout the walk
// went on with (a live core of goUnlock, GOTRACEBACK=crash).
func TestGoLayoutOnce(t *testing.T) {
	dir := t.TempDir()
	prog := testfixture.BuildGo(t, dir, "gounlock", goUnlock)
	core, out := testfixture.Run(t, dir, []string{"GOTRACEBACK=crash"}, prog)
	if !strings.Contains(out, "fatal error: sync: unlock of unlocked mutex") {
		t.Fatalf("the program did not die of the fatal error: %s", out)
	}
	calls := 0
	defer func(f func(*symbolize.Module, string, map[string][]string) (map[string]map[string]int64, error)) {
		structLayout = f
	}(structLayout)
	orig := structLayout
	structLayout = func(m *symbolize.Module, unit string, want map[string][]string) (map[string]map[string]int64, error) {
		calls++
		return orig(m, unit, want)
	}
	s, err := Open(core, Options{Binary: prog})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	ct := r.CrashedThread()
	g := -1
	for i, f := range ct.Frames {
		if f.Method == report.MethodGoroutine {
			g = i
			break
		}
	}
	if g < 1 || calls != 1 {
		t.Fatalf("goroutine frame at %d, layout read %d times; want a goroutine frame and one read", g, calls)
	}
	m := s.Modules.Module(uint64(ct.Frames[g-1].PC))
	if m == nil {
		t.Fatal("no module for runtime.systemstack's frame")
	}
	for i := 0; i < 3; i++ {
		if l := s.goLayout(m); l == nil || l.mCurg == 0 || l.gSched == 0 {
			t.Fatalf("layout %+v", l)
		}
	}
	if calls != 1 {
		t.Errorf("the layout was read %d times, want once", calls)
	}
}
