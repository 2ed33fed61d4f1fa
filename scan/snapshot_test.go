package scan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestScanSnapshots: a gcore of a running `sleep` and a `cat` killed with
// SIGABRT, made live, scanned together. The snapshot is a row of its own
// kind and a group apart from the crashes; the scan fails on the crash
// only, and on the snapshot only with --fail-on snapshot.
func TestScanSnapshots(t *testing.T) {
	work := t.TempDir()
	cores := filepath.Join(work, "cores")
	if err := os.Mkdir(cores, 0o755); err != nil {
		t.Fatal(err)
	}
	p := testfixture.Start(t, work, nil, "sleep", "1000")
	p.WaitBlocked(t, "sleep")
	if err := os.Rename(p.Gcore(t), filepath.Join(cores, "sleep.core")); err != nil {
		t.Fatal(err)
	}
	c := testfixture.Start(t, work, nil, "cat")
	c.WaitBlocked(t, "cat")
	c.Kill(t, syscall.SIGABRT)
	if err := os.Rename(c.Core(t), filepath.Join(cores, "cat.core")); err != nil {
		t.Fatal(err)
	}
	res, err := Run(Options{Dirs: []string{cores}, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	var snap, crash *Row
	for i := range res.Rows {
		switch filepath.Base(res.Rows[i].Path) {
		case "sleep.core":
			snap = &res.Rows[i]
		case "cat.core":
			crash = &res.Rows[i]
		}
	}
	if snap == nil || crash == nil || !snap.Snapshot || snap.Signal != "" || len(snap.Diagnoses) != 0 || crash.Snapshot ||
		len(snap.Frames) == 0 || !strings.Contains(snap.Frames[0], "sleep") {
		t.Fatalf("rows %+v", res.Rows)
	}
	if len(res.Groups) != 1 || res.Groups[0].Diagnosis != "killed" || len(res.Snapshots) != 1 || res.SnapshotCount() != 1 {
		t.Errorf("groups %+v, snapshots %+v", res.Groups, res.Snapshots)
	}
	if n := res.Crashes(nil); n != 1 {
		t.Errorf("Crashes() = %d, want 1: a snapshot is not a crash", n)
	}
	if n := res.Crashes([]string{FailOnSnapshot}); n != 1 {
		t.Errorf("Crashes(snapshot) = %d, want 1", n)
	}
	if n := res.Crashes([]string{"SIGSEGV"}); n != 0 {
		t.Errorf("Crashes(SIGSEGV) = %d, want 0", n)
	}
	var b bytes.Buffer
	if err := res.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "1 distinct crashes") || !strings.Contains(out, "1 snapshot(s) of running processes (not crashes)") ||
		!strings.Contains(out, "  snapshot  ") {
		t.Errorf("table:\n%s", out)
	}
	b.Reset()
	if err := res.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, `failures="1"`) || !strings.Contains(out, `classname="snapshot"`) {
		t.Errorf("junit:\n%s", out)
	}
}
