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

// chunkFrames is the size of a frameChunks chunk: 48 KiB of frames.
const chunkFrames = 1024

// frameChunks gathers a walk's frames in fixed chunks, so that a deep
// stack is copied once (flatten), not at every growth of one slice.
type frameChunks struct {
	chunks [][]Frame
	n      int
}

func (c *frameChunks) add(f Frame) {
	if k := len(c.chunks); k == 0 || len(c.chunks[k-1]) == cap(c.chunks[k-1]) {
		size := chunkFrames
		if k == 0 {
			size = 64 // most stacks are shallow
		}
		c.chunks = append(c.chunks, make([]Frame, 0, size))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, f)
	c.n++
}

func (c *frameChunks) at(i int) *Frame {
	if i < 64 {
		return &c.chunks[0][i]
	}
	i -= 64
	return &c.chunks[1+i/chunkFrames][i%chunkFrames]
}

func (c *frameChunks) flatten() []Frame {
	if len(c.chunks) == 1 {
		return c.chunks[0]
	}
	out := make([]Frame, 0, c.n)
	for _, ch := range c.chunks {
		out = append(out, ch...)
	}
	return out
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
func (s *frameSet) has(frames *frameChunks, pc, sp uint64) bool {
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
