package scan

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/testfixture"
)

// TestScanTimeout: with a per-core timeout far too short, a real core
// becomes an error row saying so, it counts as an error, and the abandoned
// analysis ends instead of running on in the background.
func TestScanTimeout(t *testing.T) {
	f := testfixture.Get(t, "stacker-segment")
	dir := t.TempDir()
	testfixture.CopyFile(t, f.CoreZst, filepath.Join(dir, "core.zst"))
	testfixture.CopyFile(t, f.Binary, filepath.Join(dir, "bin"))
	res, err := Run(Options{Dirs: []string{dir}, Core: analyze.Options{Sysroot: testfixture.Sysroot()}, Timeout: time.Nanosecond, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0].Error != "timed out after 1ns" || res.Errors != 1 || len(res.Groups) != 0 {
		t.Fatalf("scan: %+v", res)
	}
	// What the abandoned goroutine goes on to do, with the context its
	// timeout cancelled: it stops and returns the context's error (the
	// walks' own stop is TestReportCancelled's).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	row := analyzeRow(ctx, filepath.Join(dir, "core.zst"), Options{Core: analyze.Options{Sysroot: testfixture.Sysroot()}})
	if !strings.Contains(row.Error, "context canceled") {
		t.Errorf("analysis under a cancelled context: %+v, want it to stop with the context's error", row)
	}
}
