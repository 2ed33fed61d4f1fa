package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestMainStackGap: below the main stack there is no guard mapping, only
// the kernel's stack_guard_gap (1 MiB), bounded by the next mapping below.
// The guard range reported is that gap, not the page the fault hit up to
// the stack.
func TestMainStackGap(t *testing.T) {
	f := testfixture.Get(t, "c-recursion")
	r, err := Analyze(f.CoreZst, options(f))
	if err != nil {
		t.Fatal(err)
	}
	d := r.Diagnosis[0]
	so := d.StackOverflow
	if so == nil || so.Stack.Kind != "main" || !so.Stack.Gap {
		t.Fatalf("diagnosis: %+v", d)
	}
	below := uint64(0)
	for _, m := range r.Mappings {
		if m.End <= so.Stack.Start {
			below = uint64(m.End)
		}
	}
	want := max(uint64(so.Stack.Start)-1<<20, below)
	if uint64(so.Stack.GuardStart) != want || so.Stack.GuardEnd != so.Stack.Start {
		t.Errorf("gap [%#x–%#x), want [%#x–%#x)", uint64(so.Stack.GuardStart), uint64(so.Stack.GuardEnd), want, uint64(so.Stack.Start))
	}
	if text := strings.Join(d.Explanation, "\n"); !strings.Contains(text, "the kernel keeps a 1 MiB gap (stack_guard_gap") && !strings.Contains(text, "The kernel keeps a 1 MiB gap (stack_guard_gap") {
		t.Errorf("explanation does not name stack_guard_gap:\n%s", text)
	}
}
