package analyze

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coreview/coreview/report"
)

// euStackFrame is one frame as eu-stack -m prints it.
type euStackFrame struct {
	pc       uint64
	function string // without a symbol version ("@@GLIBC_2.34"); "" for "??"
	module   string // base name
}

var (
	euThreadLine = regexp.MustCompile(`^TID (\d+):`)
	euFrameLine  = regexp.MustCompile(`^#(\d+)\s+(0x[0-9a-f]+)\s+(\S+)?\s*(?:- (\S+))?$`)
)

// euStackFrames runs eu-stack on a core (with the executable, libraries
// found as NT_FILE or the link map says) and returns each thread's frames.
func euStackFrames(t *testing.T, euStack, exe, core string) map[int][]euStackFrame {
	t.Helper()
	out, err := exec.Command(euStack, "--core", core, "-e", exe, "-m", "-n", "0").CombinedOutput()
	// eu-stack exits 1 when a thread's walk ends in an error; its frames
	// are still printed.
	if err != nil && len(out) == 0 {
		t.Fatalf("eu-stack: %v", err)
	}
	threads := map[int][]euStackFrame{}
	tid := 0
	for _, l := range strings.Split(string(out), "\n") {
		if m := euThreadLine.FindStringSubmatch(l); m != nil {
			tid, _ = strconv.Atoi(m[1])
			threads[tid] = nil
			continue
		}
		m := euFrameLine.FindStringSubmatch(l)
		if m == nil || tid == 0 {
			continue
		}
		pc, _ := strconv.ParseUint(m[2], 0, 64)
		fn := m[3]
		if fn == "??" {
			fn = ""
		}
		if i := strings.Index(fn, "@"); i > 0 {
			fn = fn[:i]
		}
		threads[tid] = append(threads[tid], euStackFrame{pc: pc, function: fn, module: filepath.Base(m[4])})
	}
	return threads
}

// compareWithEUStack requires every thread's frames to have eu-stack's PCs,
// symbols and modules, frame for frame.
func compareWithEUStack(t *testing.T, want map[int][]euStackFrame, r *report.Report) {
	t.Helper()
	if len(want) != len(r.Threads) {
		t.Errorf("eu-stack has %d threads, coreview %d", len(want), len(r.Threads))
	}
	for _, th := range r.Threads {
		wf, ok := want[th.TID]
		if !ok {
			t.Errorf("thread %d: eu-stack does not list it", th.TID)
			continue
		}
		if len(wf) != len(th.Frames) {
			t.Errorf("thread %d: %d frames, eu-stack %d", th.TID, len(th.Frames), len(wf))
		}
		for i := 0; i < min(len(wf), len(th.Frames)); i++ {
			w, f := wf[i], th.Frames[i]
			if uint64(f.PC) != w.pc || !sameAlias(f.Symbol, w.function) || f.Module != w.module {
				t.Errorf("thread %d frame #%d: %#x %s (%s), eu-stack %#x %s (%s)", th.TID, i, uint64(f.PC), f.Symbol, f.Module, w.pc, w.function, w.module)
			}
		}
		t.Logf("thread %d: %d frames, eu-stack %d", th.TID, len(th.Frames), len(wf))
	}
}

// sameAlias reports whether two symbol names can name one function: equal,
// or one of glibc's alias pairs at one address (nanosleep and __nanosleep,
// clone3 and __clone3), of which eu-stack and coreview may pick either.
func sameAlias(a, b string) bool {
	return a == b || a != "" && strings.TrimLeft(a, "_") == strings.TrimLeft(b, "_")
}
