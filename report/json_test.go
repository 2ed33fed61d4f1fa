package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// flatten lists frames as the JSON report does: each physical frame
// preceded by the frames inlined into it.
func flatten(frames []Frame) []Frame {
	var out []Frame
	for _, f := range frames {
		out = append(out, f.Inlined...)
		out = append(out, f)
	}
	return out
}

// TestFrameListJSON: the hand-written encoder writes exactly what
// encoding/json writes for the same frames, inlined frames flattened in
// front of their physical frame.
func TestFrameListJSON(t *testing.T) {
	inl := Frame{Index: 0, PC: 0x401000, Function: "helper", Symbol: "helper", Method: "inline", Inline: true, File: "/src/a.c", Line: 7, Column: 3}
	frames := []Frame{
		{Index: 0, PC: 0x401000, SP: 0x7ffc0000, CFA: 0x7ffc0010, Function: "main", Symbol: "main", Offset: 4, Module: "prog", ModuleOffset: 0x1000, Method: "context",
			File: "/src/a.c", Line: 12, Inlined: []Frame{inl, inl}},
		{Index: 1, PC: 0, Method: "call", Signal: true, Unreliable: true},
		{Index: 2, Function: "odd \"name\" \\ with\ttabs\nnewlines \x01 <>& é \u2028 \xff end", Method: "scan", File: "x\ty.rs", Line: 1, Column: 99},
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(flatten(frames)); err != nil {
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
	if err := json.Unmarshal(got, &back); err != nil || len(back) != 5 || back[0].Inline != true || back[4].Function != frames[2].Function[:len(frames[2].Function)-5]+"\ufffd end" {
		t.Errorf("round trip: %v %+v", err, back)
	}
}

// TestWriteJSONMatchesEncoding: the spliced report is what encoding/json
// writes for the whole
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
