package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
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

// TestInGoStack: a mapping holding a stack the Go runtime allocated (a
// power-of-two size) that a frame runs on, and more, is Go's heap; one that
// is that stack give or take a page is a thread's stack; and bounds the
// runtime only guessed from the stack pointer of a C thread that called
// into Go ([sp−32 KiB, sp+1 KiB), an extra M's g0 without pthread_getattr_np)
// are no Go stack, though the pthread stack around them is far larger.
func TestInGoStack(t *testing.T) {
	const base = 0x7f0000000000
	arena := &corefile.Mapping{Start: base, End: base + 4<<20, Perm: corefile.PermR | corefile.PermW}
	pthread := &corefile.Mapping{Start: base, End: base + 8<<20 - 4096, Perm: corefile.PermR | corefile.PermW}
	frames := func(sps ...uint64) []stackmap.Frame {
		var out []stackmap.Frame
		for _, sp := range sps {
			out = append(out, stackmap.Frame{SP: sp})
		}
		return out
	}
	goroutine := [2]uint64{base + 1<<20, base + 1<<20 + 8192}
	sp := uint64(base + 6<<20)
	guessed := [2]uint64{sp - 32<<10, sp + 1024}
	for _, c := range []struct {
		name   string
		m      *corefile.Mapping
		stacks [][2]uint64
		frames []stackmap.Frame
		want   bool
	}{
		{"goroutine stack in the arena", arena, [][2]uint64{goroutine}, frames(goroutine[0] + 100), true},
		{"no frame on it", arena, [][2]uint64{goroutine}, frames(goroutine[1] + 100), false},
		{"the mapping is the stack", &corefile.Mapping{Start: goroutine[0] - 4096, End: goroutine[1]}, [][2]uint64{goroutine}, frames(goroutine[0] + 100), false},
		{"extra M's guessed g0 bounds", pthread, [][2]uint64{guessed}, frames(sp, sp+200), false},
		{"cgo thread's g0 from mstart", pthread, [][2]uint64{{base + 2048, base + 8<<20 - 4096 - 1024 - 2048}}, frames(sp), false},
	} {
		if got := inGoStack(c.m, c.stacks, c.frames); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
