package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/symbolize"
)

// TestTailChainCandidates pins the intersection of paths (gdb's
// chain_candidate) and the frames it leaves (pretend_pc's order).
func TestTailChainCandidates(t *testing.T) {
	site := func(pc uint64) chainElem {
		return chainElem{list: []tailSite{{cs: symbolize.CallSite{Tail: true}, pc: pc}}}
	}
	pcs := func(ts []tailSite) []uint64 {
		var out []uint64
		for _, s := range ts {
			out = append(out, s.pc)
		}
		return out
	}
	tests := []struct {
		name  string
		paths [][]chainElem
		ok    bool
		want  []uint64 // frames, innermost first
	}{
		{"one path: every function, innermost first", [][]chainElem{{site(1), site(2), site(3)}}, true, []uint64{3, 2, 1}},
		{"a direct call: no frames", [][]chainElem{{}}, true, nil},
		{"two paths share the ends: the middle is left out",
			[][]chainElem{{site(1), site(2), site(9)}, {site(1), site(3), site(9)}}, true, []uint64{9, 1}},
		{"two paths share only the first caller", [][]chainElem{{site(1), site(2)}, {site(1), site(3)}}, true, []uint64{1}},
		{"two paths share nothing: ambiguous", [][]chainElem{{site(1), site(2)}, {site(4), site(3)}}, false, nil},
		{"a direct call and a tail-call path: ambiguous", [][]chainElem{{}, {site(1)}}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c tailChain
			ok := true
			for _, p := range tt.paths {
				if !c.candidate(p) {
					ok = false
					break
				}
			}
			if ok != tt.ok {
				t.Fatalf("unambiguous = %v, want %v", ok, tt.ok)
			}
			if got := pcs(c.levels()); ok && !equalU64(got, tt.want) {
				t.Errorf("frames %v, want %v", got, tt.want)
			}
		})
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// tailCallProgram crashes in leaf, reached from main through tail calls:
// with no argument main → one ⇒ a ⇒ leaf (⇒ a tail call), one chain; with
// one, main → choose ⇒ a or b ⇒ leaf, two chains that share no function.
const tailCallProgram = `volatile int sel;
int *volatile nowhere;
__attribute__((noinline)) void leaf(int x) { if (x > 0) *nowhere = x; }
__attribute__((noinline)) void a(int x) { leaf(x + 1); }
__attribute__((noinline)) void b(int x) { leaf(x + 2); }
__attribute__((noinline)) void choose(int x) { if (sel) a(x); else b(x * 3); }
__attribute__((noinline)) void one(int x) { a(x * 5); }
int main(int argc, char **argv) {
	(void)argv;
	sel = argc & 1;
	if (argc > 1)
		choose(argc);
	else
		one(argc);
	return sel;
}
`

// TestLiveTailCallsMatchGDB builds tailCallProgram with gcc -O2 -g and
// crashes it both ways: gdb rebuilds a and one between leaf and main in
// the first core and nothing in the second (the paths through a and b
// agree on no function); coreview's frames, tail-call frames included,
// must be gdb's.
func TestLiveTailCallsMatchGDB(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no live cores")
	}
	gdb := testfixture.Tool(t, "gdb")
	dir := t.TempDir()
	prog := testfixture.BuildC(t, "gcc", dir, "tail", tailCallProgram, "-O2", "-g")
	for _, tc := range []struct {
		name  string
		args  string
		tails []string
	}{
		{"one chain", "", []string{"a", "one"}},
		{"two chains", "x", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.Mkdir(run, 0o755); err != nil {
				t.Fatal(err)
			}
			argv := []string{prog}
			if tc.args != "" {
				argv = append(argv, tc.args)
			}
			core, _ := testfixture.Run(t, run, nil, argv...)
			r, err := Analyze(core, Options{Binary: prog})
			if err != nil {
				t.Fatal(err)
			}
			got := tailCallFrames(r)
			if strings.Join(got, ",") != strings.Join(tc.tails, ",") {
				t.Errorf("tail-call frames %q, want %q", got, tc.tails)
			}
			want := gdbFramesOf(t, gdb, prog, "/", "", core)
			compareWithGDB(t, want, r, core, Options{Binary: prog})
		})
	}
}

// tailCallFrames lists the functions of the crashed thread's tail-call
// frames, innermost first.
func tailCallFrames(r *report.Report) []string {
	var got []string
	for _, f := range r.Threads[0].Frames {
		for _, in := range f.Inlined {
			if in.Method == report.MethodTailCall {
				got = append(got, in.Function)
			}
		}
	}
	return got
}

// localClassTailCall crashes in leaf, which a member function of a class
// local to outer reached by a tail call: gcc puts that member function's
// code, and its call sites, inside the class's DIE under outer's.
const localClassTailCall = `volatile int *volatile nullp;
__attribute__((noinline)) int leaf(int x) { return *nullp + x; }
__attribute__((noinline)) int outer(int n) {
	struct Local { __attribute__((noinline)) static int go(int v) { return leaf(v * 3); } };
	int r = Local::go(n);
	return r + 1;
}
int main(int argc, char **) { return outer(argc); }
`

// TestLiveLocalClassTailCallMatchesGDB: the tail call of a local class's
// member function gives the frame gdb shows (Local::go between leaf and
// outer), and the rest of the stack is gdb's.
func TestLiveLocalClassTailCallMatchesGDB(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no live cores")
	}
	gdb := testfixture.Tool(t, "gdb")
	dir := t.TempDir()
	// g++ compiles the .c file BuildC writes as C++.
	prog := testfixture.BuildC(t, "g++", dir, "local", localClassTailCall, "-O2", "-g")
	core, _ := testfixture.Run(t, dir, nil, prog)
	opts := Options{Binary: prog}
	r, err := Analyze(core, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := tailCallFrames(r)
	if len(got) != 1 || !strings.HasSuffix(got[0], "Local::go(int)") {
		t.Errorf("tail-call frames %q, want outer(int)::Local::go(int)", got)
	}
	compareWithGDB(t, gdbFramesOf(t, gdb, prog, "/", "", core), r, core, opts)
}
