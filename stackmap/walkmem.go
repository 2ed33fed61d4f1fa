package stackmap

import (
	"bytes"
	"encoding/binary"
)

// WordReader is a Memory that reads a 64-bit word without a buffer from
// its caller: a buffer handed to ReadAt through the Memory interface
// escapes, one allocation per read. corefile.Memory has it.
type WordReader interface {
	ReadUint64(addr uint64) (uint64, error)
}

func readWord(mem Memory, addr uint64) (uint64, error) {
	if wr, ok := mem.(WordReader); ok {
		w, err := wr.ReadUint64(addr)
		if err != nil {
			return 0, &ReadError{addr, err}
		}
		return w, nil
	}
	b := make([]byte, 8)
	if _, err := mem.ReadAt(b, addr); err != nil {
		return 0, &ReadError{addr, err}
	}
	return binary.LittleEndian.Uint64(b), nil
}

// isSigtramp reports whether the code at pc is __restore_rt (restoreRT,
// 9 bytes), read as two overlapping words when the memory reads words.
func isSigtramp(mem Memory, pc uint64) bool {
	if _, ok := mem.(WordReader); ok {
		w0, err0 := readWord(mem, pc)
		w1, err1 := readWord(mem, pc+1)
		return err0 == nil && err1 == nil &&
			w0 == binary.LittleEndian.Uint64(restoreRT) && w1 == binary.LittleEndian.Uint64(restoreRT[1:])
	}
	b := make([]byte, len(restoreRT))
	if _, err := mem.ReadAt(b, pc); err != nil {
		return false
	}
	return bytes.Equal(b, restoreRT)
}

// pcMemo remembers, per PC of one walk, what the walk asks about the code
// there: whether it is a signal trampoline (each check reads two words of
// code), whether the frame is the outermost, and its CFI row. A recursion
// returns to the same few addresses thousands of times, and each question
// otherwise takes a module lookup, a lock and a map.
type pcMemo [64]pcFacts

// pcFacts is what a walk learned about one PC.
type pcFacts struct {
	pc uint64
	ok bool

	trampSet, tramp bool

	// Outermost's answer and the CFI row depend on whether pc is a
	// return address (Frame.LookupPC): they hold for caller.
	caller          bool
	outerSet, outer bool
	outerWhy        string
	cfiSet, cfiOK   bool
	cfi             *CFI
	bias            uint64
	row             *cfiRow
}

// facts returns pc's entry, emptied if it held another PC.
func (t *pcMemo) facts(pc uint64) *pcFacts {
	e := &t[(pc*0x9e3779b97f4a7c15)>>58]
	if !e.ok || e.pc != pc {
		*e = pcFacts{pc: pc, ok: true}
	}
	return e
}

func (t *pcMemo) isSigtramp(mem Memory, pc uint64) bool {
	e := t.facts(pc)
	if !e.trampSet {
		e.tramp, e.trampSet = isSigtramp(mem, pc), true
	}
	return e.tramp
}

// forCaller empties what e holds for the other value of caller.
func (e *pcFacts) forCaller(caller bool) {
	if e.caller != caller {
		e.caller, e.outerSet, e.row = caller, false, nil
	}
}

// outermost is code.Outermost(f.LookupPC(), f.Caller), remembered.
func (t *pcMemo) outermost(code Code, f *walkFrame) (string, bool) {
	e := t.facts(f.PC)
	e.forCaller(f.Caller)
	if !e.outerSet {
		e.outerWhy, e.outer = code.Outermost(f.LookupPC(), f.Caller)
		e.outerSet = true
	}
	return e.outerWhy, e.outer
}

// cfiRow returns the CFI row of f's code, remembered: nil when the code
// has no CFI the walk can use.
func (t *pcMemo) cfiRow(code Code, f *walkFrame) *cfiRow {
	e := t.facts(f.PC)
	e.forCaller(f.Caller)
	if !e.cfiSet {
		e.cfi, e.bias, e.cfiOK = code.CFI(f.PC)
		e.cfiSet = true
	}
	if !e.cfiOK {
		return nil
	}
	if e.row == nil {
		e.row = e.cfi.lookup(f.LookupPC() - e.bias)
	}
	return e.row
}

// frameSet is the set of (pc, sp) pairs a walk has been at, for the cycle
// check. While each frame's sp is above every sp before it, no pair can
// repeat and nothing is stored: the frames themselves are the set. The
// first frame at or below the highest sp so far (a stack switch, a signal
// frame, corrupt registers) puts every pair seen into a map, kept from
// then on.
type frameSet struct {
	maxSP   uint64
	started bool
	m       map[[2]uint64]struct{}
}

// has reports whether (pc, sp) was added before. Every pair added is that
// of a frame in frames by the time has is asked (Unwind adds the next
// frame's pair, then the frame before the next question).
func (s *frameSet) has(frames *chunked[Frame], pc, sp uint64) bool {
	if s.m == nil {
		if !s.started || sp > s.maxSP {
			return false
		}
		s.m = make(map[[2]uint64]struct{}, frames.n+1)
		for i := 0; i < frames.n; i++ {
			f := frames.at(i)
			s.m[[2]uint64{f.PC, f.SP}] = struct{}{}
		}
	}
	_, ok := s.m[[2]uint64{pc, sp}]
	return ok
}

// add records (pc, sp).
func (s *frameSet) add(pc, sp uint64) {
	if s.m != nil {
		s.m[[2]uint64{pc, sp}] = struct{}{}
		return
	}
	if !s.started || sp > s.maxSP {
		s.maxSP = sp
	}
	s.started = true
}

// regDeltas keeps the registers known in each frame above frame 0 as what
// changed from the frame below: which registers are known, which of them
// differ (or were not known below), and those values. Most of a deep
// stack's frames change rip, rsp and perhaps rbp: 30 bytes or so a frame,
// not a 144-byte Regs.
type regDeltas struct {
	frames chunked[regDelta]
	vals   chunked[uint64]
	prev   Regs
}

// chunked is an append-only list in fixed chunks: growing it never copies
// what it holds (append's growth of one slice would, several times over),
// and a walk's frames are copied once, by flatten. The first chunk is
// small: most stacks are shallow.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

const (
	firstChunkLen = 64
	chunkLen      = 4096
)

func (c *chunked[T]) add(v T) {
	if k := len(c.chunks); k == 0 || len(c.chunks[k-1]) == cap(c.chunks[k-1]) {
		size := chunkLen
		if k == 0 {
			size = firstChunkLen
		}
		c.chunks = append(c.chunks, make([]T, 0, size))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
}

func (c *chunked[T]) at(i int) *T {
	if i < firstChunkLen {
		return &c.chunks[0][i]
	}
	i -= firstChunkLen
	return &c.chunks[1+i/chunkLen][i%chunkLen]
}

// flatten returns the list as one slice.
func (c *chunked[T]) flatten() []T {
	if len(c.chunks) == 1 {
		return c.chunks[0]
	}
	out := make([]T, 0, c.n)
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return out
}

// regDelta is one frame's: the registers known, those that changed, and
// where its values start in vals.
type regDelta struct {
	valid, changed, at uint32
}

// add records frame i's registers (frames are added in order, from 0).
func (d *regDeltas) add(i int, r *Regs) {
	if i == 0 {
		d.prev = *r
		return
	}
	e := regDelta{valid: r.valid, at: uint32(d.vals.n)}
	for n := 0; n < numRegs; n++ {
		if r.valid&(1<<n) == 0 {
			continue
		}
		if d.prev.valid&(1<<n) == 0 || d.prev.val[n] != r.val[n] {
			e.changed |= 1 << n
			d.vals.add(r.val[n])
		}
	}
	d.frames.add(e)
	d.prev = *r
}

// AdvanceRegs turns r, the registers of frame i-1, into those of frame i
// (for i ≥ 1; frame 0's are s.Regs): a walk over the frames in order reads
// every frame's registers without the stack keeping a Regs per frame.
func (s *Stack) AdvanceRegs(i int, r *Regs) { s.AdvanceRegsChanged(i, r) }

// AdvanceRegsChanged is AdvanceRegs, and returns which registers (bit n
// for register n) frame i knows that frame i-1 did not know or knew with
// another value.
func (s *Stack) AdvanceRegsChanged(i int, r *Regs) (changed uint32) {
	d := &s.deltas
	k := i - 1
	if k < 0 || k >= d.frames.n {
		*r = Regs{}
		return 0
	}
	e := *d.frames.at(k)
	v := e.at
	var out Regs
	out.valid = e.valid
	for n := 0; n < numRegs; n++ {
		switch {
		case e.changed&(1<<n) != 0:
			out.val[n] = *d.vals.at(int(v))
			v++
		case out.valid&(1<<n) != 0:
			out.val[n] = r.val[n]
		}
	}
	*r = out
	return e.changed
}
