package analyze

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestReadMemoryMatchesGDB dumps 64 bytes at the crashed thread's stack
// pointer of c-null-deref and compares them with gdb's x/64xb; a return
// address among them must be symbolized as the frame it returns to; and
// on c-recursion, whose thread ran into the unmapped gap below its stack,
// the bytes below the stack are "??", never zeros, with the reason.
func TestReadMemoryMatchesGDB(t *testing.T) {
	t.Parallel()
	gdb := testfixture.Tool(t, "gdb")
	f := testfixture.Get(t, "c-null-deref")
	s, err := Open(f.CoreZst, options(f))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	th := r.CrashedThread()
	sp := uint64(th.Frames[0].SP)
	d := s.ReadMemory(sp, 64)
	out, err := exec.Command(gdb, "-batch", "-nx", "-iex", "set debuginfod enabled off", "-ex", "file "+f.Binary,
		"-ex", "core-file "+f.RawCore(t), "-ex", fmt.Sprintf("x/64xb %#x", sp)).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	var want []string
	for _, l := range regexp.MustCompile(`(?m)^0x[0-9a-f]+.*?:((\s+0x[0-9a-f]{2})+)$`).FindAllStringSubmatch(string(out), -1) {
		for _, b := range strings.Fields(l[1]) {
			want = append(want, strings.TrimPrefix(b, "0x"))
		}
	}
	var got []string
	for _, l := range d.Lines {
		got = append(got, strings.Fields(l.Hex)...)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(got) != 64 {
		t.Errorf("bytes at sp:\n coreview %v\n gdb      %v", got, want)
	}
	// Frame 1's return address is on the stack at frame 0's CFA - 8.
	ra := uint64(th.Frames[1].PC)
	found := false
	for _, l := range d.Lines {
		for _, p := range l.Pointers {
			if uint64(p.Value) == ra {
				found = strings.HasPrefix(p.Symbol, th.Frames[1].Function+"+")
				t.Logf("%#x: %#x %s", uint64(p.Address), uint64(p.Value), p.Symbol)
			}
		}
	}
	if !found {
		t.Errorf("return address %#x (%s) not symbolized in %+v", ra, th.Frames[1].Function, d.Lines)
	}
	if !strings.Contains(d.Lines[0].Where, "stack") {
		t.Errorf("line at sp is in %q", d.Lines[0].Where)
	}

	f = testfixture.Get(t, "c-recursion")
	s2, err := Open(f.CoreZst, options(f))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	r = s2.Report()
	lo := uint64(r.Diagnosis[0].StackOverflow.Stack.Start)
	d = s2.ReadMemory(lo-16, 32)
	if len(d.Lines) != 2 || d.Lines[0].Hex != strings.TrimSpace(strings.Repeat("?? ", 16)) || d.Lines[0].Unreadable != "not mapped" ||
		strings.Contains(d.Lines[1].Hex, "?") || d.Lines[1].Unreadable != "" {
		t.Errorf("dump across the stack's low end: %+v", d.Lines)
	}
}
