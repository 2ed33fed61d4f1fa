package analyze

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
	"github.com/coreview/coreview/report"
)

// TestMaxFramesLimitsTheListOnly: --max-frames shortens the frames a report
// lists, while the diagnoses (depth, recursion) and the signature come from
// the whole walk, whose end reason stays the true one.
func TestMaxFramesLimitsTheListOnly(t *testing.T) {
	f := testfixture.Get(t, "c-recursion")
	full := fixtureReport(t, f)
	opts := options(f)
	opts.MaxFrames = 12
	cut, err := Analyze(f.CoreZst, opts)
	if err != nil {
		t.Fatal(err)
	}
	if cut.Signature != full.Signature || cut.SignatureHash != full.SignatureHash {
		t.Errorf("signature %q, want %q (the full walk's)", cut.Signature, full.Signature)
	}
	dj := func(r *report.Report) string {
		b, _ := json.Marshal(r.Diagnosis)
		return string(b)
	}
	if dj(cut) != dj(full) {
		t.Errorf("diagnosis with --max-frames 12:\n%s\nwant the full walk's:\n%s", dj(cut), dj(full))
	}
	ft, ct := *full.CrashedThread(), *cut.CrashedThread()
	if len(ft.Frames) <= 12 {
		t.Fatalf("fixture has only %d frames", len(ft.Frames))
	}
	if len(ct.Frames) != 12 || ct.FramesOmitted != len(ft.Frames)-12 || ct.TotalFrames() != len(ft.Frames) || ct.EndReason != ft.EndReason {
		t.Errorf("thread: %d frames, %d omitted, end %q; want 12, %d, %q", len(ct.Frames), ct.FramesOmitted, ct.EndReason,
			len(ft.Frames)-12, ft.EndReason)
	}
	// The JSON says how many frames were left out, and validates.
	var js bytes.Buffer
	if err := cut.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), fmt.Sprintf(`"frames_omitted":%d`, ct.FramesOmitted)) {
		t.Errorf("JSON lacks frames_omitted %d", ct.FramesOmitted)
	}
	sch, err := jsonschema.NewCompiler().Compile(filepath.Join(testfixture.Root(), "schema", "report-v1.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("--max-frames report: %v", err)
	}
	var text bytes.Buffer
	if err := render.Text(&text, cut, render.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"(12 shown), end of stack",
		"  #11 ",
		"more frames (#12–#",
		"stack-overflow",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "  #12 ") {
		t.Errorf("text lists frame #12:\n%s", text.String())
	}
}
