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

// countingWriter counts the writes it is given and keeps their bytes.
type countingWriter struct {
	bytes.Buffer
	writes, largest int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.largest = max(w.largest, len(p))
	return w.Buffer.Write(p)
}

// TestWriteJSONStreams: a deep stack is written in pieces of about 64 KiB
// as it is encoded, not held whole, and the bytes are encoding/json's.
func TestWriteJSONStreams(t *testing.T) {
	frames := make(FrameList, 20000)
	for i := range frames {
		frames[i] = Frame{Index: i, PC: Addr(0x400000 + i), Function: "<rustc_parse::lexer::Lexer>::lex_token_trees", Method: "cfi"}
	}
	r := &Report{Schema: Schema, Threads: []Thread{{TID: 1, Crashed: true, EndReason: "end of stack", Frames: frames}, {TID: 2, EndReason: "end of stack", Frames: frames[:3]}},
		Diagnosis: []Diagnosis{}, Warnings: []string{}}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	var got countingWriter
	if err := r.WriteJSON(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Fatal("streamed JSON differs from encoding/json's")
	}
	if got.writes < want.Len()/(128<<10) || got.largest > 128<<10 {
		t.Errorf("%d bytes in %d writes, the largest %d bytes: not streamed", want.Len(), got.writes, got.largest)
	}
}
