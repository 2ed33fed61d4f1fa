package report

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestRegistersJSON(t *testing.T) {
	rs := Registers{{"rax", 0}, {"rbx", 0x7f0011223344}, {"rflags", 0x246}, {"fs_base", 0x7f00aa}}
	b, err := json.Marshal(struct {
		R Registers `json:"registers"`
	}{rs})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"registers":{"rax":"0x0","rbx":"0x7f0011223344","rflags":"0x246","fs_base":"0x7f00aa"}}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s (gdb's order, hex)", b, want)
	}
	var back struct {
		R Registers `json:"registers"`
	}
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back.R, rs) {
		t.Errorf("round trip %+v, %v", back.R, err)
	}
	for _, bad := range []string{`{"registers":[1]}`, `{"registers":{"rax":"zz"}}`, `{"registers":{"rax":1}}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestInputWords(t *testing.T) {
	file := "input.rs"
	in := Input{File: &file, Size: 40025, Offset: 10605, Line: 1, Column: 10606, HeldBy: "stack slot of #1", Frame: 1, Frames: 5698, Source: "anon"}
	if got, want := in.Words(true), "The recursion was reading input.rs (40,025 bytes): a stack slot of frame #1 points at byte 10,605 (line 1, column 10,606):"; got != want {
		t.Errorf("Words = %q, want %q", got, want)
	}
	in.File, in.Line = nil, 0
	if got, want := in.Words(false), "The crashed thread's frames point into 40,025 bytes of text in anonymous memory that matches no file of its command line coreview could read (5,698 frames hold pointers into it): a stack slot of frame #1 points at byte 10,605:"; got != want {
		t.Errorf("Words = %q, want %q", got, want)
	}
	// The search for pointers stopped before the outermost frame: the
	// count is a lower bound (python's json recursion, 65,472 frames of
	// which the innermost 4 MiB gave 32,768).
	in.FramesAtLeast = true
	if got, want := in.Words(true), "The recursion's frames point into 40,025 bytes of text in anonymous memory that matches no file of its command line coreview could read (at least 5,698 frames hold pointers into it; the search stopped short of the outermost frame): a stack slot of frame #1 points at byte 10,605:"; got != want {
		t.Errorf("Words = %q, want %q", got, want)
	}
	in.FramesAtLeast = false
	evil := "a\x1b[31mb"
	in.File = &evil
	if got := in.Words(false); got != "The crashed thread was reading a\\x1b[31mb (40,025 bytes): a stack slot of frame #1 points at byte 10,605:" {
		t.Errorf("a control character in the file name reached the sentence: %q", got)
	}
}

func TestPanicWords(t *testing.T) {
	p := Panic{Message: "index out of bounds: the len is 3 but the index is 11", Location: PanicLocation{"src/main.rs", 7, 5}}
	if got := p.Words(); got != "panicked at src/main.rs:7:5: index out of bounds: the len is 3 but the index is 11" {
		t.Errorf("Words = %q", got)
	}
	p.Message = ""
	if got := p.Words(); got != "panicked at src/main.rs:7:5 (its message could not be read from the core)" {
		t.Errorf("Words = %q", got)
	}
}
