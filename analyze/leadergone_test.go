package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// mainExitC ends its main thread with pthread_exit while a worker goes on
// and writes through a bad pointer: the core holds the worker alone.
const mainExitC = `#include <pthread.h>
#include <unistd.h>
void crash_here(int *p) { *p = 42; }
void *worker(void *a) { usleep(200000); crash_here((int *)0x10); return 0; }
int main(void) { pthread_t t; pthread_create(&t, 0, worker, 0); pthread_exit(0); }
`

// TestLiveMainThreadExited: a process whose main thread exited before
// another crashed has a core without the main thread; the report says so
// (gdb lists it as "(Exiting)" with no registers) instead of leaving
// "threads 1" to read as the whole process.
func TestLiveMainThreadExited(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prog := testfixture.BuildC(t, "gcc", dir, "mainexit", mainExitC, "-g", "-O0", "-pthread")
	core, _ := testfixture.Run(t, dir, nil, prog)
	r, err := Analyze(core, Options{Binary: prog})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Threads) != 1 || r.Threads[0].TID == r.Process.PID {
		t.Fatalf("threads %+v, pid %d: want the worker alone", r.Threads, r.Process.PID)
	}
	firstKind(t, r, report.KindNullDereference)
	found := false
	for _, w := range r.Warnings {
		found = found || strings.HasPrefix(w, "the main thread (tid ") && strings.Contains(w, "is not in the core, which holds 1 thread")
	}
	if !found {
		t.Errorf("no warning that the main thread is missing: %q", r.Warnings)
	}
}

// TestLeaderGone: no warning when the main thread is there, or when the
// core does not say the pid.
func TestLeaderGone(t *testing.T) {
	for _, r := range []*report.Report{
		{Process: report.Process{PID: 7}, Threads: []report.Thread{{TID: 8}, {TID: 7}}},
		{Threads: []report.Thread{{TID: 8}}},
		{Process: report.Process{PID: 7}},
	} {
		if w := leaderGone(r); w != "" {
			t.Errorf("%+v: %q", r, w)
		}
	}
	if w := leaderGone(&report.Report{Process: report.Process{PID: 7}, Threads: []report.Thread{{TID: 8}, {TID: 9}}}); !strings.Contains(w, "tid 7") || !strings.Contains(w, "2 threads") {
		t.Errorf("%q", w)
	}
}
