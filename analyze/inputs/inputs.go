// Package inputs finds the input a crashed thread was reading: a buffer of
// text that its registers and stack slots point into, such as the source
// file a compiler's recursive parser was working through when its stack
// ran out (the open question of the Oxide rustc write-up: which file was
// being compiled, from the core alone).
//
// It sits below analyze: the caller gives it the process's memory, the
// mappings that may hold data (not the modules' own code and constants),
// the values the thread's frames hold and the files the command line names;
// it returns facts, and says nothing when nothing fits.
package inputs

import (
	"bytes"
	"encoding/binary"
	"io"
	"iter"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Memory reads the process's memory at runtime addresses.
type Memory interface {
	ReadAt(p []byte, addr uint64) (int, error)
}

// Source says what kind of memory a buffer lies in.
type Source string

// Sources, as the JSON report names them.
const (
	SourceHeap  Source = "heap"  // a malloc chunk, or the [heap] mapping
	SourceAnon  Source = "anon"  // anonymous memory with no chunk header found
	SourceStack Source = "stack" // a thread's stack
	SourceFile  Source = "file"  // a file the program mapped
)

// Region is a mapping that may hold an input. Mappings of the program's
// modules (their .text, .rodata, .data) are not regions: a pointer into a
// string constant is not an input.
type Region struct {
	Start, End uint64
	Source     Source // heap, anon, stack or file
	// File and FileOff name the mapped file (NT_FILE) for SourceFile.
	File    string
	FileOff uint64
	// FileSize is the mapped file's size when the file could be opened,
	// else -1.
	FileSize int64
	// Exclude, when End > Start, is a part of the region that holds no
	// input: the initial stack's argv and environment strings.
	Exclude [2]uint64
}

// Holder is a value one of the thread's frames holds.
type Holder struct {
	Value uint64
	Frame int    // the frame's index, 0 innermost
	Where string // "rdi" or "stack slot"
}

// Held is what one frame holds in one place: a register's value, or the
// words of its stack slots.
type Held struct {
	Frame  int      // the frame's index, 0 innermost
	Where  string   // "rdi" or "stack slot"
	Values []uint64 // valid until the next Held is yielded
}

// HeldBy names the holder as the report does: "rdi of #0", "stack slot of #12".
func (h Holder) HeldBy() string { return h.Where + " of #" + strconv.Itoa(h.Frame) }

// File is a regular file the command line names, already opened (and
// capped in size) by the caller.
type File struct {
	Name string // the path as the process would see it
	Size int64
	R    io.ReaderAt
}

// Input is a buffer of text the thread was reading.
type Input struct {
	// File is the file the buffer holds: the mapped file for SourceFile,
	// else a command-line file whose bytes equal the buffer's; "" when
	// none matched.
	File string
	// Size is the buffer's size in bytes: the matched or mapped file's
	// size, else the run of text (bounded by a NUL, a malloc chunk or the
	// mapping).
	Size int64
	// Offset is the byte the innermost pointer points at, from the
	// buffer's start (for a mapped file, from the file's start).
	Offset int64
	// Line and Column locate Offset, 1-based, column in bytes; 0 when
	// the bytes before it could not be read.
	Line, Column int64
	// Excerpt is about 40 bytes either side of Offset.
	Excerpt string
	// ExcerptAt is the index in Excerpt's raw bytes of the byte at Offset.
	ExcerptAt int
	Address   uint64 // the innermost pointer
	Start     uint64 // the buffer's first byte
	Source    Source
	Holder    Holder // the innermost frame holding a pointer into it
	Frames    int    // how many distinct frames hold pointers into it
	// FramesCut says the holders' search stopped before the outermost
	// frame (its byte budget), so Frames is a lower bound. The caller
	// that capped the search sets it.
	FramesCut bool
	// Bound says how the buffer's start was found: "malloc chunk",
	// "mapping", "NUL" or "text" (a non-text byte before it).
	Bound string
}

// Limits.
const (
	// MaxInputs is how many buffers Find reports.
	MaxInputs = 3
	// maxCandidates caps the buffers Find ranks: the holders of one
	// input point into it again and again, so the first found are the
	// ones that matter, and each holder is checked against all of them.
	maxCandidates = 64
	// minText is the shortest run of text around a pointer that makes it
	// a candidate: shorter runs are names and small strings.
	minText = 32
	// maxBuffer caps how far Find scans for a buffer's ends.
	maxBuffer = 64 << 20
	// maxFileCompare caps the bytes compared against one file.
	maxFileCompare = 64 << 20
	excerptSide    = 40
)

type buffer struct {
	region  *Region
	start   uint64 // first byte
	textEnd uint64 // one past the last text byte
	capEnd  uint64 // one past the last byte the buffer may hold
	bound   string
	source  Source
	// The holders pointing into a buffer are many (every frame of a
	// recursion holds its input); only what innermost and frameCount
	// need is kept: the innermost holder, the innermost one strictly
	// inside, and each frame's index once per run of one frame's holders.
	first, firstIn Holder
	haveIn         bool
	frames         []int
	lastFrame      int
}

// Find returns at most MaxInputs buffers of text that the held values
// point into, most referenced first (then largest). held should list the
// innermost frames first and, within a frame, registers before stack
// slots. They are taken as they come, never held all at once: a deep
// recursion holds millions of values.
func Find(mem Memory, regions []Region, held iter.Seq[Held], files []File) []Input {
	rs := append([]Region(nil), regions...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	if len(rs) == 0 {
		return nil
	}
	// Most words are no address at all (zero, small numbers, flags) or
	// point into code: a value outside every region is dropped first.
	lowest, highest := rs[0].Start, uint64(0)
	for _, r := range rs {
		highest = max(highest, r.End)
	}
	var bufs []*buffer
	var rejected valueSet
	scratch := make([]byte, 4096) // scanText's, reused for every candidate
	// A recursion's frames hold the same few values again and again, so
	// what a value came to is remembered: the buffer it points into, or
	// none. A buffer stays the answer for the rest of the search (buffers
	// are only added, and bufferOf takes the first that holds the value).
	// None stays the answer only until a buffer is added: a value that is
	// no candidate of its own (its text too short, invalid UTF-8 near it)
	// may lie inside a buffer another value finds, a mapped file's
	// buffer starting at the file's first byte.
	var memo [1 << 10]memoSlot
	// Neighbouring words fall in one region (a stack's own addresses) or
	// in one gap between regions (code pointers): the last of each is
	// tried before the search.
	var last *Region
	var gapLo, gapHi uint64
	for hd := range held {
		for _, v := range hd.Values {
			if v < lowest || v >= highest || v >= gapLo && v < gapHi {
				continue
			}
			r := last
			if r == nil || v < r.Start || v >= r.End {
				if r, gapLo, gapHi = regionOf(rs, v); r == nil {
					continue
				}
				last = r
			}
			if r.Exclude[1] > r.Exclude[0] && v >= r.Exclude[0] && v < r.Exclude[1] {
				continue
			}
			h := Holder{Value: v, Frame: hd.Frame, Where: hd.Where}
			m := &memo[(v*0x9e3779b97f4a7c15)>>54]
			if m.set && m.value == v && (m.buf >= 0 || int(m.nbufs) == len(bufs)) {
				if m.buf >= 0 {
					bufs[m.buf].add(h)
				}
				continue
			}
			k := findOrAdd(mem, r, &bufs, &rejected, h, scratch)
			if k >= 0 && (v < bufs[k].start || v > bufs[k].textEnd) {
				// A buffer cut short by its malloc chunk need not hold
				// the value it was found from: the next holder of the
				// value finds another, as each did before answers were
				// remembered.
				m.set = false
				continue
			}
			*m = memoSlot{value: v, buf: int32(k), nbufs: int32(len(bufs)), set: true}
		}
	}
	counts := make(map[*buffer]int, len(bufs))
	for _, b := range bufs {
		counts[b] = b.frameCount()
	}
	sort.SliceStable(bufs, func(i, j int) bool {
		if counts[bufs[i]] != counts[bufs[j]] {
			return counts[bufs[i]] > counts[bufs[j]]
		}
		return bufs[i].textEnd-bufs[i].start > bufs[j].textEnd-bufs[j].start
	})
	var out []Input
	for _, b := range bufs {
		if len(out) == MaxInputs {
			break
		}
		out = append(out, b.input(mem, files))
	}
	return out
}

// valueSet is a set of values, open addressing with linear probing: the
// values Find rejected, one for each of the thousands of distinct
// addresses a deep recursion's frames hold into their own stack.
type valueSet struct {
	slots []uint64 // value+1; 0 is empty
	n     int
}

func (s *valueSet) slot(v uint64) int {
	return int((v * 0x9e3779b97f4a7c15) >> (64 - bits.Len(uint(len(s.slots)-1))))
}

func (s *valueSet) has(v uint64) bool {
	if s.n == 0 || v == ^uint64(0) {
		return false
	}
	mask := len(s.slots) - 1
	for i := s.slot(v); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case v + 1:
			return true
		case 0:
			return false
		}
	}
}

func (s *valueSet) add(v uint64) {
	if v == ^uint64(0) {
		return // no address; never a buffer's either
	}
	if 2*(s.n+1) > len(s.slots) {
		old := s.slots
		s.slots, s.n = make([]uint64, max(64, 2*len(old))), 0
		for _, x := range old {
			if x != 0 {
				s.add(x - 1)
			}
		}
	}
	mask := len(s.slots) - 1
	for i := s.slot(v); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case v + 1:
			return
		case 0:
			s.slots[i] = v + 1
			s.n++
			return
		}
	}
}

// memoSlot remembers what one holder value came to in Find.
type memoSlot struct {
	value uint64
	buf   int32 // the index in bufs of the buffer it points into, or -1
	nbufs int32 // len(bufs) when buf was found -1
	set   bool
}

// findOrAdd adds h to the candidate buffer its value points into, finding
// a new one in r when none does, and returns that buffer's index in bufs,
// or -1 when the value points into none.
func findOrAdd(mem Memory, r *Region, bufs *[]*buffer, rejected *valueSet, h Holder, scratch []byte) int {
	if k := bufferOf(*bufs, h.Value); k >= 0 {
		(*bufs)[k].add(h)
		return k
	}
	if rejected.has(h.Value) || len(*bufs) == maxCandidates {
		return -1
	}
	b := findBuffer(mem, r, h.Value, scratch)
	if b == nil {
		rejected.add(h.Value)
		return -1
	}
	b.add(h)
	*bufs = append(*bufs, b)
	return len(*bufs) - 1
}

// add counts h as a holder of the buffer.
func (b *buffer) add(h Holder) {
	if len(b.frames) == 0 || h.Frame < b.first.Frame {
		b.first = h
	}
	if h.Value > b.start && h.Value < b.textEnd && (!b.haveIn || h.Frame < b.firstIn.Frame) {
		b.firstIn, b.haveIn = h, true
	}
	if len(b.frames) == 0 || h.Frame != b.lastFrame {
		b.frames = append(b.frames, h.Frame)
		b.lastFrame = h.Frame
	}
}

// frameCount is how many distinct frames hold pointers into the buffer.
func (b *buffer) frameCount() int {
	if slices.IsSorted(b.frames) {
		// Holders come innermost frame first: each run is a new frame.
		n := 0
		for i, f := range b.frames {
			if i == 0 || f != b.frames[i-1] {
				n++
			}
		}
		return n
	}
	fs := slices.Clone(b.frames)
	slices.Sort(fs)
	return len(slices.Compact(fs))
}

// regionOf returns the region holding addr; when none does, nil and the
// gap [gapLo, gapHi) between regions that holds addr. rs are sorted and
// do not overlap.
func regionOf(rs []Region, addr uint64) (r *Region, gapLo, gapHi uint64) {
	lo, hi := 0, len(rs)
	for lo < hi { // the first region ending past addr
		m := int(uint(lo+hi) >> 1)
		if rs[m].End > addr {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo < len(rs) && rs[lo].Start <= addr {
		return &rs[lo], 0, 0
	}
	gapHi = ^uint64(0)
	if lo < len(rs) {
		gapHi = rs[lo].Start
	}
	if lo > 0 {
		gapLo = rs[lo-1].End
	}
	return nil, gapLo, gapHi
}

// bufferOf returns the index in bufs of the buffer already found that addr
// points into (or one past), or -1.
func bufferOf(bufs []*buffer, addr uint64) int {
	for k, b := range bufs {
		if addr >= b.start && addr <= b.textEnd {
			return k
		}
	}
	return -1
}

// isText reports whether c may appear in text: printable ASCII, tab,
// newline, carriage return, or a byte of a multi-byte UTF-8 sequence
// (whole runs are checked with utf8.Valid).
func isText(c byte) bool {
	return c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' || c >= 0x80
}

// findBuffer finds the text around addr and its bounds, or nil when addr
// does not point into (or just past) a run of at least minText bytes of
// text. scratch is scanText's buffer, 4096 bytes.
func findBuffer(mem Memory, r *Region, addr uint64, scratch []byte) *buffer {
	lo := scanText(mem, r, addr, -1, scratch)
	hi := scanText(mem, r, addr, +1, scratch)
	if hi < lo || hi-lo < minText {
		return nil
	}
	// The run must be valid UTF-8 near the pointer: a run of bytes >=
	// 0x80 alone is binary data.
	win := readClamped(mem, max(lo, addr-min(addr, 256)), min(hi, addr+256))
	if !utf8.Valid(trimPartial(win)) {
		return nil
	}
	b := &buffer{region: r, start: lo, textEnd: hi, capEnd: hi, bound: "text", source: r.Source}
	switch {
	case lo == r.Start:
		b.bound = "mapping"
		b.capEnd = r.End
	case r.Source == SourceHeap || r.Source == SourceAnon:
		if end, ok := chunkAt(mem, r, lo); ok {
			b.bound, b.capEnd, b.source = "malloc chunk", end, SourceHeap
			b.textEnd = min(b.textEnd, end)
		}
	}
	if b.bound == "text" && lo > r.Start {
		var c [1]byte
		if _, err := mem.ReadAt(c[:], lo-1); err == nil && c[0] == 0 {
			b.bound = "NUL"
		}
	}
	if r.Source == SourceFile {
		b.start = r.Start - min(r.Start, r.FileOff)
		b.bound = "mapping"
	}
	return b
}

// trimPartial drops a UTF-8 sequence cut at either end of a window.
func trimPartial(b []byte) []byte {
	for i := 0; i < 3 && len(b) > 0 && !utf8.RuneStart(b[0]); i++ {
		b = b[1:]
	}
	for i := 0; i < 3 && len(b) > 0; i++ {
		r, _ := utf8.DecodeLastRune(b)
		if r != utf8.RuneError {
			break
		}
		b = b[:len(b)-1]
	}
	return b
}

// scanText returns, for dir -1, the first address of the run of text
// bytes ending at addr (addr itself when the byte before it is not text),
// and for dir +1 one past the last text byte from addr on. Unreadable
// bytes end the run, as does the region's edge or maxBuffer. scratch
// holds the reads (4096 bytes, kept by the caller: one allocation per
// candidate was most of Find's on a 10,599-frame stack).
func scanText(mem Memory, r *Region, addr uint64, dir int, scratch []byte) uint64 {
	// Most candidates are not text: read 64 bytes first, then pages.
	buf := scratch[:64]
	grow := func() { buf = scratch[:4096] }
	if dir > 0 {
		end := min(r.End, addr+maxBuffer)
		for p := addr; p < end; grow() {
			chunk := len(buf)
			n := min(uint64(chunk), end-p)
			k, _ := mem.ReadAt(buf[:n], p)
			for i := 0; i < k; i++ {
				if !isText(buf[i]) {
					return p + uint64(i)
				}
			}
			if uint64(k) < n {
				return p + uint64(k)
			}
			p += n
		}
		return end
	}
	start := r.Start
	if addr-r.Start > maxBuffer {
		start = addr - maxBuffer
	}
	for p := addr; p > start; grow() {
		chunk := len(buf)
		n := min(uint64(chunk), p-start)
		k, _ := mem.ReadAt(buf[:n], p-n)
		if uint64(k) < n {
			// Part of the window is unreadable: only the bytes from the
			// last unreadable one on count. Read byte-wise from the top.
			var c [1]byte
			for q := p; q > p-n; q-- {
				if _, err := mem.ReadAt(c[:], q-1); err != nil || !isText(c[0]) {
					return q
				}
			}
			return p - n
		}
		for i := int(n) - 1; i >= 0; i-- {
			if !isText(buf[i]) {
				return p - n + uint64(i) + 1
			}
		}
		p -= n
	}
	return start
}

// chunkAt checks for a glibc malloc chunk whose user data starts at mem
// (malloc/malloc.c: a chunk is prev_size, size|flags, then the user's
// bytes; mem is 16-aligned on x86-64, the size a multiple of 16 of at
// least 32, bit 1 IS_MMAPPED, bit 2 NON_MAIN_ARENA). It returns the end of
// the user's bytes: chunk + size for an in-use heap chunk (the next
// chunk's prev_size field is the user's while it is in use), chunk + size
// for an mmapped one.
func chunkAt(mem Memory, r *Region, user uint64) (end uint64, ok bool) {
	if user%16 != 0 || user < r.Start+16 {
		return 0, false
	}
	var w [8]byte
	if _, err := mem.ReadAt(w[:], user-8); err != nil {
		return 0, false
	}
	field := binary.LittleEndian.Uint64(w[:])
	size := field &^ 7
	chunk := user - 16
	if size < 32 || size%16 != 0 || size > r.End-chunk {
		return 0, false
	}
	const isMmapped = 2
	if field&isMmapped != 0 {
		// An mmapped chunk starts its mapping (or a page in it), with
		// prev_size holding the alignment slack, 0 for malloc's own.
		if chunk%4096 != 0 {
			return 0, false
		}
		return chunk + size, true
	}
	// A chunk in use is followed by a chunk whose PREV_INUSE bit is set,
	// unless it is the top chunk's neighbour at the region's end.
	end = chunk + size
	if end+16 <= r.End {
		if _, err := mem.ReadAt(w[:], end+8); err != nil || binary.LittleEndian.Uint64(w[:])&1 == 0 {
			return 0, false
		}
	}
	return min(end+8, r.End), true
}

func readClamped(mem Memory, lo, hi uint64) []byte {
	if hi <= lo {
		return nil
	}
	b := make([]byte, hi-lo)
	n, _ := mem.ReadAt(b, lo)
	return b[:n]
}

// innermost returns the holder that best says where the reading was: the
// innermost pointer strictly inside the buffer (a cursor), else the
// innermost one at all (its start or end, a slice's bounds).
// Of several in the same frame, the first one counts.
func (b *buffer) innermost() Holder {
	if b.haveIn {
		return b.firstIn
	}
	return b.first
}

func (b *buffer) input(mem Memory, files []File) Input {
	h := b.innermost()
	in := Input{Address: h.Value, Start: b.start, Source: b.source, Holder: h, Frames: b.frameCount(), Bound: b.bound}
	in.Size = int64(b.textEnd - b.start)
	if b.source == SourceFile {
		in.File = b.region.File
		if b.region.FileSize >= 0 {
			in.Size = b.region.FileSize
		} else {
			in.Size = int64(b.textEnd - b.start)
		}
	} else if f, ok := matchFile(mem, b, h.Value, files); ok {
		in.File, in.Size = f.Name, f.Size
	}
	in.Offset = int64(h.Value - b.start)
	in.Line, in.Column = position(mem, b.start, h.Value)
	lo := max(b.start, h.Value-min(h.Value, excerptSide))
	hi := min(b.textEnd, h.Value+excerptSide)
	if in.File != "" {
		hi = min(hi, b.start+uint64(in.Size))
	}
	raw := readClamped(mem, lo, hi)
	in.Excerpt, in.ExcerptAt = string(raw), int(h.Value-lo)
	return in
}

// matchFile returns the command-line file whose bytes are the buffer's
// first bytes and that reaches the pointer; the largest if several do.
func matchFile(mem Memory, b *buffer, ptr uint64, files []File) (File, bool) {
	var best File
	found := false
	for _, f := range files {
		if f.Size <= 0 || f.Size > maxFileCompare || uint64(f.Size) > b.capEnd-b.start || b.start+uint64(f.Size) < ptr {
			continue
		}
		if found && f.Size <= best.Size {
			continue
		}
		if sameBytes(mem, b.start, f) {
			best, found = f, true
		}
	}
	return best, found
}

func sameBytes(mem Memory, addr uint64, f File) bool {
	const chunk = 64 << 10
	a := make([]byte, chunk)
	c := make([]byte, chunk)
	for off := int64(0); off < f.Size; off += chunk {
		n := min(int64(chunk), f.Size-off)
		if k, err := mem.ReadAt(a[:n], addr+uint64(off)); err != nil || int64(k) != n {
			return false
		}
		if k, _ := f.R.ReadAt(c[:n], off); int64(k) != n {
			return false
		}
		if !bytes.Equal(a[:n], c[:n]) {
			return false
		}
	}
	return true
}

// position returns the 1-based line and byte column of addr in the buffer
// starting at start, or 0, 0 when the bytes between cannot be read.
func position(mem Memory, start, addr uint64) (line, col int64) {
	if addr < start || addr-start > maxBuffer {
		return 0, 0
	}
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	line, lineStart := int64(1), start
	for p := start; p < addr; {
		n := min(uint64(chunk), addr-p)
		if k, err := mem.ReadAt(buf[:n], p); err != nil || uint64(k) != n {
			return 0, 0
		}
		for i, c := range buf[:n] {
			if c == '\n' {
				line++
				lineStart = p + uint64(i) + 1
			}
		}
		p += n
	}
	return line, int64(addr-lineStart) + 1
}

// Escape makes an excerpt printable on one line: control bytes and
// invalid UTF-8 as Go escapes (\n, \t, \x01), everything else as is.
func Escape(s string) string {
	q := strconv.Quote(s)
	q = q[1 : len(q)-1]
	// strconv.Quote escapes the double quote and backslash for a Go
	// literal; in an excerpt only the backslash needs it.
	return strings.ReplaceAll(q, `\"`, `"`)
}
