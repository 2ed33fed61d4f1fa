package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Register is one register of a thread, named as gdb names it.
type Register struct {
	// The fields are not JSON objects of their own: Registers writes
	// each as a "name": "0x…" member.
	Name  string `json:"-"`
	Value uint64 `json:"-"`
}

// Registers are a thread's registers in gdb's `info registers` order. In
// JSON they are an object of hex strings in that order:
// {"rax": "0x0", "rbx": "0x7f…", …, "rflags": "0x246", …}.
type Registers []Register

// MarshalJSON writes the registers as an object, in order.
func (rs Registers) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:\"%#x\"", r.Name, r.Value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the object MarshalJSON writes, keeping its order.
func (rs *Registers) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("report: registers: not an object")
	}
	*rs = nil
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("report: registers: %w", err)
		}
		name, _ := t.(string)
		var s string
		if err := dec.Decode(&s); err != nil {
			return fmt.Errorf("report: register %s: %w", name, err)
		}
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			return fmt.Errorf("report: register %s: %w", name, err)
		}
		*rs = append(*rs, Register{Name: name, Value: v})
	}
	return nil
}

// Instruction is one instruction of a listing at the crash.
type Instruction struct {
	Address Addr `json:"address"`
	// Bytes are the instruction's bytes in hex ("488b07").
	Bytes string `json:"bytes"`
	// Instruction is its Intel syntax, as the operand descriptions use.
	Instruction string `json:"instruction"`
	// Current marks the instruction at the PC (or, for a PC that is not
	// code, the call that went there).
	Current bool `json:"current,omitempty"`
}

// Listing places: what a thread's disassembly is of.
const (
	ListingPC       = "pc"        // the crashed PC's function
	ListingCallSite = "call-site" // the PC is not code: the caller's call that went there
)

// Input is a buffer of text the crashed thread was reading: the input a
// parser or compiler was working through, found through the pointers its
// frames hold.
type Input struct {
	// File is the file the buffer holds: the file mapping's path for
	// source "file", else the command-line file whose bytes equal the
	// buffer's; null when none does.
	File *string `json:"file"`
	// Size is the buffer's size in bytes (the file's, when one matched).
	Size int64 `json:"size"`
	// Offset is the byte the innermost pointer points at, from the
	// buffer's start; Line and Column (1-based, column in bytes) locate
	// it, 0 when the bytes before it could not be read.
	Offset int64 `json:"offset"`
	Line   int64 `json:"line"`
	Column int64 `json:"column"`
	// Excerpt is about 40 bytes either side of Offset, escaped.
	Excerpt string `json:"excerpt"`
	// Address is the innermost pointer; Start the buffer's first byte.
	Address Addr `json:"address"`
	Start   Addr `json:"start"`
	// Source is heap, anon, stack or file.
	Source string `json:"source"`
	// HeldBy names the innermost holder ("rdi of #0", "stack slot of
	// #12"), Frame its frame.
	HeldBy string `json:"held_by"`
	Frame  int    `json:"frame"`
	// Frames counts the frames holding pointers into the buffer.
	Frames int `json:"frames"`
	// FramesAtLeast says the search for pointers stopped before the
	// outermost frame (it reads the innermost 4 MiB of stack), so more
	// frames than Frames may hold some. Not in the JSON.
	FramesAtLeast bool `json:"-"`
}

// Words says what the input is in words, up to the excerpt the
// renderers append (in a code span): "The recursion was reading input.rs
// (40,025 bytes): frame #0 (rdi of #0) points at byte 10,605 (line 1,
// column 10,606):". recursion says the crash is a recursion that ran out
// of stack, whose frames are the ones reading. Control characters in the
// file's name are escaped.
func (in *Input) Words(recursion bool) string {
	who := "The crashed thread"
	if recursion {
		who = "The recursion"
	}
	pos := fmt.Sprintf("byte %s", Commas(int(in.Offset)))
	if in.Line > 0 {
		pos += fmt.Sprintf(" (line %s, column %s)", Commas(int(in.Line)), Commas(int(in.Column)))
	}
	holder := holderWords(in.HeldBy, in.Frame)
	if in.File != nil {
		return fmt.Sprintf("%s was reading %s (%s bytes): %s points at %s:", who, printable(*in.File), Commas(int(in.Size)), holder, pos)
	}
	where := map[string]string{"heap": "on the heap", "anon": "in anonymous memory", "stack": "on a stack", "file": "in a mapped file"}[in.Source]
	frames := Commas(in.Frames) + " frames hold"
	if in.Frames == 1 {
		frames = "1 frame holds"
	}
	cut := ""
	if in.FramesAtLeast {
		frames, cut = "at least "+frames, "; the search stopped short of the outermost frame"
	}
	return fmt.Sprintf("%s's frames point into %s bytes of text %s that matches no file of its command line coreview could read (%s pointers into it%s): %s points at %s:",
		who, Commas(int(in.Size)), where, frames, cut, holder, pos)
}

// holderWords names where the pointer is held in a sentence: "frame #0's
// rdi", "a stack slot of frame #12".
func holderWords(heldBy string, frame int) string {
	where, _, _ := strings.Cut(heldBy, " of #")
	if where == "stack slot" {
		return fmt.Sprintf("a stack slot of frame #%d", frame)
	}
	return fmt.Sprintf("frame #%d's %s", frame, where)
}

// printable escapes the control characters and invalid UTF-8 of s as Go
// does in a quoted string, leaving everything else as is.
func printable(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			q := strconv.Quote(s)
			return strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
		}
	}
	return s
}

// Shown says whether the text and Markdown reports print the input: when
// it is a file, or when the crash is a stack overflow (a recursion reading
// its input). A buffer of text that crashed frames point into is not in
// itself an input (a formatted message, a path): JSON lists them all.
func (in *Input) Shown(overflow bool) bool { return in.File != nil || overflow }

// Panic is what a Rust panic printed before the process aborted:
// "panicked at src/main.rs:7:5:" and its message.
type Panic struct {
	// Message is the formatted message; absent when it could not be read
	// with certainty (std keeps no formatted copy of a literal).
	Message  string        `json:"message,omitempty"`
	Location PanicLocation `json:"location"`
}

// PanicLocation is a panic's core::panic::Location.
type PanicLocation struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// Words is the panic as Rust prints it, on one line.
func (p *Panic) Words() string {
	s := fmt.Sprintf("panicked at %s:%d:%d", p.Location.File, p.Location.Line, p.Location.Column)
	if p.Message == "" {
		return s + " (its message could not be read from the core)"
	}
	return s + ": " + p.Message
}

// CxxException is the C++ exception that reached std::terminate.
type CxxException struct {
	// Type is the thrown type, demangled.
	Type string `json:"type"`
	// What is what() for the standard exceptions that keep their message
	// readable (std::runtime_error, std::logic_error and their standard
	// subclasses); absent otherwise.
	What string `json:"what,omitempty"`
}

// Explain says what stacker believed about thread tid's stack, so being
// the overflow it is part of.
func (sl *StackerLimit) Explain(so *StackOverflow, tid int) string {
	switch {
	case sl.State == "uninitialized":
		return fmt.Sprintf("stacker had not read thread %d's stack limit (its STACK_LIMIT thread-local is uninitialized): none of stacker's maybe_grow, grow or remaining_stack had run on this thread.", tid)
	case sl.State == "destroyed":
		return fmt.Sprintf("stacker's STACK_LIMIT for thread %d was already destroyed (the thread was exiting).", tid)
	case sl.Limit == nil:
		return fmt.Sprintf("stacker saw no stack limit for thread %d (STACK_LIMIT None), so every stacker::maybe_grow allocated a new segment: it cannot tell how much stack is left.", tid)
	}
	limit := uint64(*sl.Limit)
	w := fmt.Sprintf("stacker's limit for thread %d (STACK_LIMIT) was %#x", tid, limit)
	switch sp := uint64(so.SP); {
	case limit == uint64(so.Stack.Start) && so.Stack.Kind == StackSegment:
		w += ", the lowest byte of the segment it overflowed: stacker sets it to a segment's low end when it switches onto it"
	case limit <= sp:
		w += fmt.Sprintf(", %s below the faulting stack pointer", Distance(sp-limit))
	default:
		w += fmt.Sprintf(", %s above the faulting stack pointer: the thread ran past what stacker believed was the end of its stack", Distance(limit-sp))
	}
	return w + "."
}
