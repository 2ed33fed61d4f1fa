package analyze

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestFrameListJSON: the hand-written encoder writes exactly what
// encoding/json writes for the same frames.
func TestFrameListJSON(t *testing.T) {
	frames := []Frame{
		{Index: 0, PC: 0x401000, SP: 0x7ffc0000, CFA: 0x7ffc0010, Function: "main", Symbol: "main", Offset: 4, Module: "prog", ModuleOffset: 0x1000, Method: "context"},
		{Index: 1, PC: 0, Method: "call", Signal: true, Unreliable: true},
		{Index: 2, Function: "odd \"name\" \\ with\ttabs\nnewlines \x01 <>& é \u2028 \xff end", Method: "scan"},
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(frames); err != nil {
		t.Fatal(err)
	}
	got, err := FrameList(frames).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(got)+"\n" != want.String() {
		t.Errorf("got  %s\nwant %s", got, want.String())
	}
	var back []Frame
	if err := json.Unmarshal(got, &back); err != nil || len(back) != 3 || back[2].Function != frames[2].Function[:len(frames[2].Function)-5]+"\ufffd end" {
		t.Errorf("round trip: %v %+v", err, back)
	}
}

// TestWriteJSONMatchesEncoding: the spliced report is what encoding/json
// writes for the whole report.
func TestWriteJSONMatchesEncoding(t *testing.T) {
	r := &Report{Schema: Schema, Core: "core \"threads\":null", Threads: []Thread{
		{TID: 1, Crashed: true, EndReason: "end of stack", Frames: FrameList{{Index: 0, PC: 1, Method: "context"}}},
		{TID: 2, Name: "worker", EndReason: "cycle", EndDetail: "x", Frames: nil},
		{TID: 3, EndReason: "end of stack", Frames: FrameList{{Index: 0, PC: 2, Method: "context"}}, FramesOmitted: 2017},
	}, Diagnosis: []Diagnosis{}, Warnings: []string{"a \"threads\":null b"}}
	var want, got bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("got  %s\nwant %s", got.String(), want.String())
	}
}
