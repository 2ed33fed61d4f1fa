package analyze

import (
	"context"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestReportCancelled: a session whose context is done stops its walks
// at once: each thread has one frame and ends "cancelled", with a warning,
// where the stacker fixture's crashed thread has 3,129 frames.
func TestReportCancelled(t *testing.T) {
	f := testfixture.Get(t, "stacker-segment")
	ctx, cancel := context.WithCancel(context.Background())
	s, err := OpenContext(ctx, f.CoreZst, options(f))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cancel()
	r := s.Report()
	for _, th := range r.Threads {
		if th.EndReason != "cancelled" || len(th.Frames) != 1 {
			t.Errorf("thread %d: %d frames, %s", th.TID, len(th.Frames), th.EndReason)
		}
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "cancelled") {
		t.Errorf("no warning says the walks were cancelled:\n%s", w)
	}
	// And decompression stops too.
	if _, err := OpenContext(ctx, f.CoreZst, options(f)); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("OpenContext with a done context: %v", err)
	}
}
