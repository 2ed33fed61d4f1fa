// Package rustpanic recovers what a Rust panic printed before it aborted —
// `panicked at src/main.rs:7:5:` and its message — from the panic
// runtime's frames in a core, for the runs whose stderr was lost.
//
// It reads two structures that std's panic path keeps on the stack while
// it runs (library/std/src/panicking.rs, library/core/src/panic):
//
//   - core::panic::Location, a static in the binary's read-only data:
//     { file: &str (pointer, length), line: u32, col: u32 }, the file name
//     itself in read-only data too;
//   - the payload the panic handler builds for a formatted message,
//     FormatStringPayload { inner: &fmt::Arguments, string: Option<String> },
//     whose String std fills with the formatted message before it runs the
//     panic hook (payload.get()), so the message is in the heap by the time
//     the runtime aborts. The String's capacity is checked against its
//     glibc malloc chunk, which is what tells the length from the capacity.
//     A literal message is not copied: it is found through the payload's
//     vtable, StaticStrPayload's by the names of its methods.
//
// Rust does not fix the order of struct fields; both are recognised by
// their values (a pointer to a pointer and a length into read-only data,
// two plausible u32s; a stack pointer beside a heap pointer, a length and
// a capacity), and every string must be valid UTF-8 text. When anything
// is in doubt it returns the location alone, or nothing: never a wrong
// message.
package rustpanic

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// Memory reads the process's memory at runtime addresses.
type Memory interface {
	ReadAt(p []byte, addr uint64) (int, error)
}

// Frame is one stack frame of the panicking thread: its function's name
// and the stack it used, [SP, CFA).
type Frame struct {
	Function string
	SP, CFA  uint64
}

// Space tells what kind of memory an address is in.
type Space interface {
	// ReadOnlyData reports whether addr is in a module's non-executable
	// file mapping (.rodata, .data.rel.ro): where statics live.
	ReadOnlyData(addr uint64) bool
	// Heap reports whether addr is in writable anonymous memory other
	// than a stack: where a String's bytes are.
	Heap(addr uint64) bool
	// Function names the function at a code address (demangled), or "".
	Function(addr uint64) string
}

// Location is a panic's core::panic::Location.
type Location struct {
	File   string
	Line   int
	Column int
	Addr   uint64 // where the static is
}

// Panic is what the panic printed.
type Panic struct {
	Location Location
	// Message is the formatted message; "" when it could not be read
	// with certainty (a literal message, which std does not copy, or a
	// payload not found).
	Message string
}

// Limits on what is believed.
const (
	maxFileName   = 4096
	maxLine       = 10_000_000
	maxColumn     = 100_000
	maxMessage    = 64 << 10
	maxFrameBytes = 16 << 10
)

// Find recovers the panic from the frames of the panic runtime: those from
// the innermost frame up to core::panicking::panic_fmt (or
// panic_nounwind_fmt, or rust_begin_unwind), innermost first. ok is false
// when there is no panic_fmt frame or no valid Location in them.
func Find(mem Memory, sp Space, frames []Frame) (Panic, bool) {
	end := -1
	for _, entries := range [][]string{{"core::panicking::panic_fmt", "core::panicking::panic_nounwind_fmt"}, {"rust_begin_unwind"}} {
		for i, f := range frames {
			if end < 0 && hasAny(f.Function, entries) {
				end = i
			}
		}
	}
	if end < 0 {
		return Panic{}, false
	}
	lo, hi := frames[0].SP, frames[end].CFA
	if hi <= lo || hi-lo > 1<<20 {
		return Panic{}, false
	}
	words := readWords(mem, frames[:end+1])
	locs := map[Location]int{}
	for _, w := range words {
		if !sp.ReadOnlyData(w) {
			continue
		}
		if l, ok := readLocation(mem, sp, w); ok {
			locs[l]++
		}
	}
	var best Location
	bestN, tie := 0, false
	for l, n := range locs {
		switch {
		case n > bestN:
			best, bestN, tie = l, n, false
		case n == bestN:
			tie = true
		}
	}
	if bestN == 0 || tie {
		return Panic{}, false
	}
	p := Panic{Location: best}
	p.Message = findMessage(mem, sp, words, lo, hi)
	if p.Message == "" {
		p.Message = staticMessage(mem, sp, words)
	}
	return p, true
}

// hasAny reports whether a function's name is one of names, or one of
// them with a crate hash or a closure after it.
func hasAny(name string, names []string) bool {
	name = strings.TrimPrefix(name, "__rustc::")
	for _, n := range names {
		if name == n || strings.HasPrefix(name, n+"::") {
			return true
		}
	}
	return false
}

// readWords reads the 8-byte slots of the frames' stacks, in address
// order, each frame capped at maxFrameBytes.
func readWords(mem Memory, frames []Frame) []uint64 {
	var out []uint64
	for _, f := range frames {
		if f.CFA <= f.SP {
			continue
		}
		n := min(f.CFA-f.SP, maxFrameBytes) &^ 7
		b := make([]byte, n)
		k, _ := mem.ReadAt(b, f.SP)
		for i := 0; i+8 <= k; i += 8 {
			out = append(out, binary.LittleEndian.Uint64(b[i:]))
		}
	}
	return out
}

// readLocation reads a core::panic::Location at addr: the file name's
// pointer and length (in either order), then line and column.
func readLocation(mem Memory, sp Space, addr uint64) (Location, bool) {
	var b [24]byte
	if _, err := mem.ReadAt(b[:], addr); err != nil {
		return Location{}, false
	}
	a, c := binary.LittleEndian.Uint64(b[0:]), binary.LittleEndian.Uint64(b[8:])
	ptr, n := a, c
	if !sp.ReadOnlyData(ptr) {
		ptr, n = c, a
	}
	line, col := binary.LittleEndian.Uint32(b[16:]), binary.LittleEndian.Uint32(b[20:])
	if !sp.ReadOnlyData(ptr) || n == 0 || n > maxFileName || line == 0 || line > maxLine || col == 0 || col > maxColumn {
		return Location{}, false
	}
	name := make([]byte, n)
	if _, err := mem.ReadAt(name, ptr); err != nil || !sp.ReadOnlyData(ptr+n-1) {
		return Location{}, false
	}
	if !isText(name, false) || !strings.HasSuffix(string(name), ".rs") {
		return Location{}, false
	}
	return Location{File: string(name), Line: int(line), Column: int(col), Addr: addr}, true
}

// findMessage looks for the payload's String among the slots: four
// consecutive words, the first or last a pointer into the stack (the
// &fmt::Arguments), the other three a String's pointer into the heap, its
// length and its capacity, in any order, the length's bytes text. It
// returns "" unless exactly one message is found.
func findMessage(mem Memory, sp Space, words []uint64, lo, hi uint64) string {
	found := map[string]bool{}
	for i := 0; i+4 <= len(words); i++ {
		w := words[i : i+4]
		// The String is one field: its three words are contiguous, so
		// the &Arguments is before or after them.
		args := -1
		for _, j := range []int{0, 3} {
			if v := w[j]; v >= lo && v < hi+(1<<20) && v%8 == 0 {
				args = j
			}
		}
		if args < 0 {
			continue
		}
		var rest []uint64
		for j, v := range w {
			if j != args {
				rest = append(rest, v)
			}
		}
		for _, perm := range [][3]int{{0, 1, 2}, {1, 0, 2}, {1, 2, 0}, {2, 1, 0}, {0, 2, 1}, {2, 0, 1}} {
			ptr, n, capacity := rest[perm[0]], rest[perm[1]], rest[perm[2]]
			if !sp.Heap(ptr) || n == 0 || n > capacity || capacity > maxMessage || !sp.Heap(ptr+capacity-1) {
				continue
			}
			if !mallocSized(mem, ptr, capacity) {
				continue
			}
			if m, ok := readText(mem, ptr, n); ok {
				found[m] = true
			}
		}
	}
	return onlyOne(found)
}

// staticMessage finds a literal message (panic!("…"), which std does not
// copy): the handler passes it as &mut dyn PanicPayload, a data pointer
// beside a vtable pointer, and the vtable (drop_in_place, size, align,
// then the methods) is StaticStrPayload's — size 16, alignment 8, and
// its methods named <…StaticStrPayload as core::panic::PanicPayload>::….
// The data is the payload's one field, a &str (pointer, length) into
// read-only data. It returns "" unless exactly one message is found.
func staticMessage(mem Memory, sp Space, words []uint64) string {
	found := map[string]bool{}
	for i := 0; i+1 < len(words); i++ {
		data, vt := words[i], words[i+1]
		if !sp.ReadOnlyData(vt) || vt%8 != 0 {
			continue
		}
		var v [6]uint64
		ok := true
		for j := range v {
			if v[j], ok = readWord(mem, vt+uint64(8*j)); !ok {
				break
			}
		}
		if !ok || v[1] != 16 || v[2] != 8 {
			continue
		}
		named := false
		for _, m := range v[3:] {
			if f := sp.Function(m); strings.Contains(f, "StaticStrPayload") && strings.Contains(f, "PanicPayload") {
				named = true
			}
		}
		if !named {
			continue
		}
		ptr, ok1 := readWord(mem, data)
		n, ok2 := readWord(mem, data+8)
		if !ok1 || !ok2 || n == 0 || n > maxMessage || !sp.ReadOnlyData(ptr) || !sp.ReadOnlyData(ptr+n-1) {
			continue
		}
		if m, ok := readText(mem, ptr, n); ok {
			found[m] = true
		}
	}
	return onlyOne(found)
}

// readText reads the n bytes at ptr when they are text (isText).
func readText(mem Memory, ptr, n uint64) (string, bool) {
	b := make([]byte, n)
	if _, err := mem.ReadAt(b, ptr); err != nil || !isText(b, true) {
		return "", false
	}
	return string(b), true
}

// onlyOne is the message when exactly one was found, else "": two
// candidates that differ are no answer.
func onlyOne(found map[string]bool) string {
	if len(found) != 1 {
		return ""
	}
	for m := range found {
		return m
	}
	return ""
}

func readWord(mem Memory, addr uint64) (uint64, bool) {
	var b [8]byte
	if _, err := mem.ReadAt(b[:], addr); err != nil {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[:]), true
}

// mallocSized reports whether ptr is what glibc's malloc returned for a
// request of size bytes: its chunk's size field (malloc/malloc.c, the word
// before ptr, flags in the low three bits) is request2size(size), the
// request plus the size field rounded up to 16, at least 32. Rust's
// String asks the allocator for exactly its capacity, so this pins the
// capacity, and with it which word is the length. Other allocators
// (jemalloc, mimalloc, musl's) fail the check, and no message is given.
func mallocSized(mem Memory, ptr, size uint64) bool {
	var b [8]byte
	if ptr%16 != 0 || ptr < 16 {
		return false
	}
	if _, err := mem.ReadAt(b[:], ptr-8); err != nil {
		return false
	}
	want := max(32, (size+8+15)&^15)
	return binary.LittleEndian.Uint64(b[:])&^7 == want
}

// isText reports whether b is valid UTF-8 without control characters
// (newlines and tabs allowed when lines is set).
func isText(b []byte, lines bool) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 && !(lines && (r == '\n' || r == '\t')) || r == 0x7f {
			return false
		}
	}
	return true
}
