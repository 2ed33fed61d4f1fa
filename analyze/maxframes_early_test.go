package analyze

import (
	"encoding/json"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestMaxFramesEarlyKeepsDiagnoses: with --max-frames, the other threads'
// frames past the limit are counted without being built, and nothing else
// changes: the same diagnoses (stack-segments names the switch frames of
// every thread), the same signature, the same frame counts.
func TestMaxFramesEarlyKeepsDiagnoses(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"stacker-segment", "stacker-merged", "c-threads", "rust-thread-overflow"} {
		t.Run(name, func(t *testing.T) {
			f := testfixture.Get(t, name)
			whole, err := Analyze(f.RawCore(t), options(f))
			if err != nil {
				t.Fatal(err)
			}
			opts := options(f)
			opts.MaxFrames = 2
			s, err := Open(f.RawCore(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			cut, err := s.Analyze()
			if err != nil {
				t.Fatal(err)
			}
			dw, _ := json.Marshal(whole.Diagnosis)
			dc, _ := json.Marshal(cut.Diagnosis)
			if string(dw) != string(dc) || whole.SignatureHash != cut.SignatureHash {
				t.Errorf("diagnoses differ with --max-frames 2:\n%s\n%s", dw, dc)
			}
			cutOff := 0
			for i := range whole.Threads {
				w, c := &whole.Threads[i], &cut.Threads[i]
				if w.TotalFrames() != c.TotalFrames() || len(c.Frames) > 2 {
					t.Errorf("thread %d: %d frames, %d with --max-frames 2 (%d listed)", w.TID, w.TotalFrames(), c.TotalFrames(), len(c.Frames))
				}
				if c.FramesOmitted > 0 {
					cutOff++
					// The names stack-segments asks for past the list
					// are the ones the whole report lists.
					for k := range w.Frames {
						if got := s.last.frameName(i, k); got != w.Frames[k].Function {
							t.Errorf("thread %d frame %d: frameName %q, report %q", w.TID, k, got, w.Frames[k].Function)
						}
					}
				}
			}
			if cutOff == 0 {
				t.Errorf("no thread had frames left out")
			}
		})
	}
}
