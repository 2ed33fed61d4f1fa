package analyze

import (
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestCrashStackIsTheSignature: the locations CI annotations use are the
// signature's frames, for every fixture: the same names in the same order,
// so a SARIF result's location is the frame its fingerprint starts at.
func TestCrashStackIsTheSignature(t *testing.T) {
	for _, f := range testfixture.All(t) {
		r, err := Analyze(f.CoreZst, options(f))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		th, idx := r.meaningfulFrameIndices(signatureFrames)
		for _, i := range idx {
			names = append(names, signatureName(&th.Frames[i]))
		}
		if got, want := strings.Join(names, " ← "), strings.Join(r.meaningfulFrames(signatureFrames), " ← "); got != want {
			t.Errorf("%s: frames %q, signature %q", f.Name, got, want)
		}
		stack := r.CrashStack(signatureFrames)
		if len(stack) != len(idx) || len(stack) == 0 {
			t.Fatalf("%s: %d locations for %d frames", f.Name, len(stack), len(idx))
		}
		if stack[0].Frame != th.Frames[idx[0]].Index {
			t.Errorf("%s: location at frame %d, want %d", f.Name, stack[0].Frame, idx[0])
		}
	}
	// A source position comes from DWARF where the fixture has it.
	f := testfixture.Get(t, "c-inline")
	r, err := Analyze(f.CoreZst, options(f))
	if err != nil {
		t.Fatal(err)
	}
	if l := r.CrashStack(1); len(l) != 1 || l[0].File == "" || l[0].Line == 0 {
		t.Errorf("c-inline: %+v, want a source position", l)
	}
}
