package stackmap

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/coreview/coreview/internal/x86"
)

// Memory reads the process's memory at runtime addresses.
type Memory interface {
	ReadAt(p []byte, addr uint64) (int, error)
}

// Code tells the unwinder about the code at an address.
type Code interface {
	// CFI returns the call frame information of the module holding pc
	// and its bias (runtime minus link-time address), or ok false.
	CFI(pc uint64) (cfi *CFI, bias uint64, ok bool)
	// Executable reports whether pc lies in executable memory.
	Executable(pc uint64) bool
	// FuncStart returns the start of the function holding pc, if known.
	FuncStart(pc uint64) (uint64, bool)
	// Outermost reports whether pc lies in a function where a thread's
	// stack starts: the program's entry point (_start), or a runtime's
	// thread or goroutine entry (Go's runtime.goexit). Nothing called it,
	// so the walk ends there; why says which it is, for the end detail.
	// caller is set when pc is a return address minus one: the frame
	// made a call from there (a thread start calls the thread's function;
	// the same function entered otherwise may not be the outermost).
	Outermost(pc uint64, caller bool) (why string, ok bool)
}

// Method says how a frame was found.
type Method string

// Methods, from most to least trustworthy.
const (
	MethodContext Method = "context" // the thread's registers (frame 0)
	MethodCFI     Method = "cfi"     // call frame information
	MethodSignal  Method = "signal"  // the context saved by a signal frame
	MethodCall    Method = "call"    // return address at [rsp]: frame 0 jumped to bad code, or is a frameless leaf
	MethodFP      Method = "fp"      // frame-pointer chain
	MethodScan    Method = "scan"    // stack scanning for a return address
	// MethodGoroutine is the first frame of a Go goroutine's own stack,
	// from the registers the runtime saved in its g.sched when
	// runtime.systemstack switched the thread to its g0 stack (Resume).
	MethodGoroutine Method = "goroutine"
)

// EndReason says why a walk stopped.
type EndReason string

// End reasons.
const (
	EndOfStack    EndReason = "end of stack"      // the outermost frame (_start, clone)
	EndUnreadable EndReason = "unreadable memory" // the stack or saved registers could not be read
	EndNoUnwind   EndReason = "no unwind info"    // no CFI, frame pointer or return address found
	EndFrameLimit EndReason = "frame limit"       // MaxFrames reached
	EndCycle      EndReason = "cycle"             // the walk came back to a frame it had seen
	EndCancelled  EndReason = "cancelled"         // Options.Done was closed: the caller gave up
)

// Frame is one frame of a stack.
type Frame struct {
	// PC is what gdb prints: the faulting or interrupted PC in frame 0
	// and after a signal frame, and the return address in callers.
	PC  uint64
	SP  uint64 // rsp in this frame
	CFA uint64 // canonical frame address; 0 if it was not computed
	// Method is how this frame was found from the one below it.
	Method Method
	// Signal marks a signal trampoline frame (__restore_rt): gdb's
	// <signal handler called>. The frame above it was interrupted.
	Signal bool
	// Caller is set when PC is a return address: the call instruction
	// lies before it, so lookups (symbol, CFI) use PC-1.
	Caller bool
}

// walkFrame is a frame while the walk is at it: the frame and the
// registers known in it, which only the next step needs. A Stack keeps
// frames without them (frame 0's are Stack.Regs): 48 bytes a frame, not
// 200.
type walkFrame struct {
	Frame
	Regs Regs
}

// LookupPC returns the address to look up for this frame's function:
// PC-1 for a return address (a call may be the last instruction of a
// function), PC otherwise.
func (f *Frame) LookupPC() uint64 {
	if f.Caller && f.PC > 0 {
		return f.PC - 1
	}
	return f.PC
}

// Stack is the result of a walk.
type Stack struct {
	Frames []Frame
	// Regs are frame 0's registers: the thread's. The registers known in
	// the frames above are kept as changes (AdvanceRegs).
	Regs   Regs
	deltas regDeltas
	End    EndReason
	// EndDetail says more about End: which address could not be read,
	// which PC had no unwind information.
	EndDetail string
}

// Options tune a walk.
type Options struct {
	// MaxFrames stops the walk after that many frames; 0 means no limit
	// other than HardLimit.
	MaxFrames int
	// Done, when closed, ends the walk at the next frame: an analysis
	// that timed out stops instead of running on unseen.
	Done <-chan struct{}
}

// maxScanRun bounds how many frames in a row stack scanning may find: on
// garbage memory scanning always finds something, and each scan reads up
// to scanLimit bytes.
const maxScanRun = 64

// HardLimit bounds every walk, whatever MaxFrames says: a stack of 8 MiB
// holds at most 512Ki 16-byte frames.
const HardLimit = 1 << 21

// Unwind walks the stack of a thread whose registers are regs.
//
// The walk allocates per walk, not per frame: frames gather in chunks
// copied once into Stack.Frames at the end (append's growth would copy a
// deep stack several times over), words are read through WordReader when
// the memory has it, and the (pc, sp) pairs of the cycle check go into a
// map only once the stack pointer has gone down (see frameSet).
func Unwind(mem Memory, code Code, regs Regs, opts Options) *Stack {
	limit := HardLimit
	if opts.MaxFrames > 0 && opts.MaxFrames < limit {
		limit = opts.MaxFrames
	}
	s := &Stack{Regs: regs}
	var frames chunked[Frame]
	defer func() { s.Frames = frames.flatten() }()
	cur := walkFrame{Frame: Frame{PC: regs.PC(), SP: regs.SP(), Method: MethodContext}, Regs: regs}
	// Every (pc, sp) walked, frame 0's included: a caller that repeats
	// one is a loop in the saved registers, not a deeper frame.
	var seen frameSet
	var memo pcMemo
	seen.add(cur.PC, cur.SP)
	scanned := 0 // consecutive frames found by scanning
	// returns caches returnSite per return address: a deep recursion
	// repeats a few return addresses millions of times.
	returns := map[uint64]bool{}
	for {
		select {
		case <-opts.Done:
			frames.add(cur.Frame)
			s.deltas.add(frames.n-1, &cur.Regs)
			s.End, s.EndDetail = EndCancelled, fmt.Sprintf("stopped after %d frames", frames.n)
			return s
		default:
		}
		next, reason, detail := step(mem, code, &cur, frames.n == 0, &memo)
		frames.add(cur.Frame)
		s.deltas.add(frames.n-1, &cur.Regs)
		if frames.n >= limit && reason == "" {
			s.End, s.EndDetail = EndFrameLimit, fmt.Sprintf("stopped after %d frames", limit)
			return s
		}
		if reason != "" {
			s.End, s.EndDetail = reason, detail
			return s
		}
		if next.PC == 0 {
			s.End, s.EndDetail = EndOfStack, "return address is 0"
			return s
		}
		if next.Method == MethodCFI && next.Caller {
			r, ok := returns[next.PC]
			if !ok {
				r = returnSite(mem, code, next.PC)
				returns[next.PC] = r
			}
			next.Caller = r
		}
		if next.Method == MethodScan {
			if scanned++; scanned > maxScanRun {
				s.End, s.EndDetail = EndNoUnwind, fmt.Sprintf("%d frames in a row found only by scanning; stopped", maxScanRun)
				return s
			}
		} else {
			scanned = 0
		}
		if seen.has(&frames, next.PC, next.SP) {
			s.End, s.EndDetail = EndCycle, fmt.Sprintf("frame at pc %#x sp %#x repeats", next.PC, next.SP)
			return s
		}
		seen.add(next.PC, next.SP)
		cur = next
	}
}

// Resume goes on with the walk on another stack, from regs: the frames it
// finds follow s's, the first marked MethodGoroutine, and s ends as that
// walk ends. opts.MaxFrames counts s's frames too. It reports whether a
// frame was added.
func (s *Stack) Resume(mem Memory, code Code, regs Regs, opts Options) bool {
	n := len(s.Frames)
	if n == 0 {
		return false
	}
	if opts.MaxFrames > 0 {
		if opts.MaxFrames <= n {
			return false
		}
		opts.MaxFrames -= n
	}
	next := Unwind(mem, code, regs, opts)
	if len(next.Frames) == 0 {
		return false
	}
	next.Frames[0].Method = MethodGoroutine
	r := next.Regs
	for i := range next.Frames {
		if i > 0 {
			next.AdvanceRegs(i, &r)
		}
		s.deltas.add(n+i, &r)
	}
	s.Frames = append(s.Frames, next.Frames...)
	s.End, s.EndDetail = next.End, next.EndDetail
	return true
}

// RegsAt returns frame i's registers, as far as the walk knew them.
func (s *Stack) RegsAt(i int) Regs {
	r := s.Regs
	for k := 1; k <= i && k < len(s.Frames); k++ {
		s.AdvanceRegs(k, &r)
	}
	return r
}

// step finds the caller of f. It fills f.CFA and f.Signal. On the last
// frame it returns a reason.
func step(mem Memory, code Code, f *walkFrame, innermost bool, memo *pcMemo) (walkFrame, EndReason, string) {
	// A signal trampoline: the kernel pushed a ucontext where the
	// handler's return address points; its saved registers are the
	// interrupted frame.
	if memo.isSigtramp(mem, f.PC) {
		// The handler "returned" here, but no call precedes the
		// trampoline: its PC is looked up as it is, as gdb does for a
		// SIGTRAMP_FRAME (get_frame_address_in_block).
		f.Signal, f.Caller = true, false
		regs, err := sigcontextRegs(mem, f.SP)
		if err != nil {
			return walkFrame{}, EndUnreadable, err.Error()
		}
		f.CFA = f.SP
		return walkFrame{Frame: Frame{PC: regs.PC(), SP: regs.SP(), Method: MethodSignal}, Regs: regs}, "", ""
	}
	if why, ok := memo.outermost(code, f); ok {
		return walkFrame{}, EndOfStack, why
	}
	if row := memo.cfiRow(code, f); row != nil {
		regs, cfa, outermost, err := row.step(&f.Regs, mem)
		switch {
		case err == nil && outermost:
			f.CFA = cfa
			return walkFrame{}, EndOfStack, "the CFI marks the return address undefined"
		case err == nil:
			f.CFA = cfa
			return walkFrame{Frame: Frame{PC: regs.PC(), SP: regs.SP(), Method: MethodCFI, Caller: true}, Regs: regs}, "", ""
		case isReadError(err):
			return walkFrame{}, EndUnreadable, fmt.Sprintf("pc %#x: %v", f.PC, err)
		}
		// No FDE, or a CFA program we cannot follow: try the fallbacks.
	}
	// The innermost frame is in no code at all (PC 0, unmapped, data):
	// a call just jumped there, so the return address is at [rsp].
	if (innermost || !f.Caller) && !code.Executable(f.PC) {
		ra, err := readWord(mem, f.SP)
		if err != nil {
			return walkFrame{}, EndUnreadable, err.Error()
		}
		f.CFA = f.SP + 8
		regs := f.Regs
		regs.Set(RIP, ra)
		regs.Set(RSP, f.SP+8)
		return walkFrame{Frame: Frame{PC: ra, SP: f.SP + 8, Method: MethodCall, Caller: true}, Regs: regs}, "", ""
	}
	// No CFI: a frameless leaf (or the frame a signal interrupted in one)
	// has its return address at [rsp] and still holds its caller's rbp,
	// so the frame-pointer chain would skip the caller.
	if innermost || !f.Caller {
		if next, ok := leafStep(mem, code, f); ok {
			return next, "", ""
		}
	}
	if next, ok := fpStep(mem, code, f); ok {
		return next, "", ""
	}
	if next, ok := scanStep(mem, code, f); ok {
		return next, "", ""
	}
	// Nothing was found because there was nothing to read (a truncated
	// core, a stack pointer into unmapped memory): say that, not that
	// unwind information is missing.
	if _, err := readWord(mem, f.SP); err != nil {
		return walkFrame{}, EndUnreadable, fmt.Sprintf("pc %#x: the stack at sp %#x: %v", f.PC, f.SP, err)
	}
	return walkFrame{}, EndNoUnwind, fmt.Sprintf("no CFI for pc %#x and no frame pointer or return address found", f.PC)
}

// fpStep follows the frame-pointer chain: rbp points at the saved rbp, with
// the return address above it (push %rbp; mov %rsp,%rbp).
func fpStep(mem Memory, code Code, f *walkFrame) (walkFrame, bool) {
	rbp, ok := f.Regs.Get(RBP)
	if !ok || rbp < f.SP || rbp-f.SP > 1<<24 || rbp%8 != 0 {
		return walkFrame{}, false
	}
	savedRBP, err1 := readWord(mem, rbp)
	ra, err2 := readWord(mem, rbp+8)
	if err1 != nil || err2 != nil || !code.Executable(ra) {
		return walkFrame{}, false
	}
	// A signal handler returns to the signal trampoline (glibc's and
	// musl's __restore_rt, Go's runtime.sigreturn__sigaction), which the
	// kernel put there: no call precedes it. Its frame is not a caller's:
	// its PC is the trampoline's first instruction, and the next step reads
	// the interrupted registers from the ucontext at its rsp.
	sigtramp := isSigtramp(mem, ra)
	if !sigtramp && !afterCall(mem, ra) && !plantedReturn(code, ra) {
		return walkFrame{}, false
	}
	f.CFA = rbp + 16
	var regs Regs
	regs.Set(RIP, ra)
	regs.Set(RSP, rbp+16)
	regs.Set(RBP, savedRBP)
	return walkFrame{Frame: Frame{PC: ra, SP: rbp + 16, Method: MethodFP, Caller: !sigtramp}, Regs: regs}, true
}

// plantedReturn reports whether ra, which no call precedes, is a return
// address a runtime planted in an outermost function: Go's gogo starts
// every goroutine with goexit+1 as its return address (goexit is NOP;
// CALL goexit1), so the goroutine's first function returns into goexit.
func plantedReturn(code Code, ra uint64) bool {
	_, ok := code.Outermost(ra-1, true)
	return ok
}

// scanLimit is how far above rsp stack scanning looks for a return address.
const scanLimit = 16 << 10

// scanStep looks upwards from rsp for a word that points into executable
// memory just after a call instruction. A first pass accepts only return
// addresses whose direct call targets f's own function; if none is found,
// a second pass accepts any return address (f may have been reached by a
// tail call, or through a pointer).
func scanStep(mem Memory, code Code, f *walkFrame) (walkFrame, bool) {
	for _, strict := range []bool{true, false} {
		if next, ok := scanPass(mem, code, f, strict); ok {
			return next, true
		}
	}
	return walkFrame{}, false
}

func scanPass(mem Memory, code Code, f *walkFrame, strict bool) (walkFrame, bool) {
	var buf [512]byte
	for off := uint64(0); off < scanLimit; off += uint64(len(buf)) {
		n, _ := mem.ReadAt(buf[:], f.SP+off)
		for i := 0; i+8 <= n; i += 8 {
			w := binary.LittleEndian.Uint64(buf[i:])
			if w == 0 || !code.Executable(w) || !afterCall(mem, w) || strict && !callsInto(mem, code, w, &f.Frame) {
				continue
			}
			slot := f.SP + off + uint64(i)
			f.CFA = slot + 8
			var regs Regs
			regs.Set(RIP, w)
			regs.Set(RSP, slot+8)
			return walkFrame{Frame: Frame{PC: w, SP: slot + 8, Method: MethodScan, Caller: true}, Regs: regs}, true
		}
		if n < len(buf) {
			return walkFrame{}, false
		}
	}
	return walkFrame{}, false
}

// callsInto reports whether return address ra could be the one of frame
// f: the bytes before ra are a call instruction and, when that call is
// direct (call rel32), its target is the start of f's function or reaches
// it by tail jumps (a PLT entry; a wrapper such as musl's qsort that sets
// up arguments and jumps to qsort_r). Checking the target rejects stale
// return addresses that stack scanning finds.
func callsInto(mem Memory, code Code, ra uint64, f *Frame) bool {
	c, ok := x86.CallBefore(mem, ra)
	if !ok || !c.Direct {
		return ok // an indirect call: its target cannot be checked
	}
	start, ok := code.FuncStart(f.LookupPC())
	if !ok {
		return true
	}
	return x86.ReachesByJumps(mem, c.Target, start)
}

// afterCall reports whether a call instruction ends exactly at ra: the
// rule of x86.CallBefore.
// returnSite reports whether pc, which the CFI of the frame below gave
// as its return address, is one: a call ends there, or a runtime planted
// it (plantedReturn), or its code cannot be read to tell. When it is not,
// the frame below was entered without a call at pc: Go's signal handler
// makes the faulting goroutine "call" runtime.sigpanic by pushing the
// faulting PC itself (runtime/signal_amd64.go, pushCall), so pc is the
// faulting instruction, and its CFI row and symbol are those at pc, not
// at pc-1 (which, for a fault at a function's first instruction, lies in
// the function before it).
func returnSite(mem Memory, code Code, pc uint64) bool {
	if pc < x86.MaxCallLen {
		return true
	}
	var b [x86.MaxCallLen]byte
	if n, err := mem.ReadAt(b[:], pc-x86.MaxCallLen); err != nil || n != len(b) {
		return true
	}
	if _, ok := x86.CallEndingAt(b[:], pc); ok {
		return true
	}
	return plantedReturn(code, pc)
}

func afterCall(mem Memory, ra uint64) bool {
	_, ok := x86.CallBefore(mem, ra)
	return ok
}

// ReadError is a failed read of the stack or of saved registers.
type ReadError struct {
	Addr uint64
	Err  error
}

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

func isReadError(err error) bool {
	var re *ReadError
	return errors.As(err, &re)
}
