package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestStackerSegmentSize: the segment's size comes from where psm switched
// the stack pointer, not from the mapping. On stacker-merged the kernel
// merged stacker's 257 RW pages with a 3-page neighbour into a 260-page
// mapping, which read as "261 pages = 1036 KiB requested"; stacker was
// asked for 1 MiB on both fixtures.
func TestStackerSegmentSize(t *testing.T) {
	for _, tt := range []struct {
		fixture string
		extra   uint64
	}{
		{"stacker-segment", 0},
		{"stacker-merged", 3 * 4096},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			f := testfixture.Get(t, tt.fixture)
			r := fixtureReport(t, f)
			d := r.Diagnosis[0]
			so := d.StackOverflow
			if so == nil || so.Stack.Kind != "segment" {
				t.Fatalf("diagnosis: %+v", d)
			}
			text := strings.Join(d.Explanation, "\n")
			if !strings.Contains(text, "258 pages = 1 MiB requested + 2") {
				t.Errorf("explanation does not say 258 pages, 1 MiB requested:\n%s", text)
			}
			sg := so.Segment
			if sg == nil || !sg.Stacker || sg.Pages != 258 || sg.Requested != 1<<20 || sg.MappingExtra != tt.extra || sg.SwitchFunction != "rust_psm_on_stack" {
				t.Fatalf("segment %+v; want 258 pages, 1 MiB requested, %d bytes merged, switched at rust_psm_on_stack", sg, tt.extra)
			}
			if want := uint64(so.Stack.GuardEnd) + 1<<20; uint64(sg.Top) != want {
				t.Errorf("top %#x, want the guard's end + 1 MiB = %#x", uint64(sg.Top), want)
			}
			if merged := strings.Contains(d.Summary, "merged"); merged != (tt.extra > 0) {
				t.Errorf("summary says merged = %v: %s", merged, d.Summary)
			}
		})
	}
}
