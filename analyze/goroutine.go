package analyze

import (
	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/stackmap"
	"github.com/coreview/coreview/symbolize"
)

// systemstackEnd is the end detail of a walk that reached
// runtime.systemstack (code.Outermost): above it lies only what the
// thread's g0 stack held before.
const systemstackEnd = "reached runtime.systemstack, which switched to this thread's g0 stack from a goroutine's"

// morestackEnd is the end detail of a walk that reached runtime.morestack,
// which switched to the thread's g0 stack from a goroutine's whose stack
// check failed: to grow its stack, or because the scheduler or the
// garbage collector asked it to stop (stackguard0 = stackPreempt; newstack
// then calls gopreempt_m or preemptPark, as on the other threads of a
// GOTRACEBACK=crash core).
const morestackEnd = "reached runtime.morestack, which switched to this thread's g0 stack from a goroutine's (to grow its stack, or to preempt it)"

// goRegG is r14's DWARF number: Go's internal ABI keeps the running g in
// it.
const goRegG = 14

// goLayout holds the offsets of the Go runtime's structures that lead
// from a thread's g0 to the goroutine it switched from: g.m, m.g0,
// m.curg, g.sched and its sp, pc and bp, as the program's DWARF declares
// them (they move between Go releases).
type goLayout struct {
	gM, gSched, mG0, mCurg, bufSP, bufPC, bufBP uint64
	// g.stack's lo and hi (runtime.stack) and m.gsignal, for the stacks
	// the runtime gave a thread; hasStacks is false when the DWARF does
	// not give them.
	gStackLo, gStackHi, mGsignal uint64
	hasStacks                    bool
}

// structLayout is symbolize's, a variable for the test that counts its
// calls.
var structLayout = (*symbolize.Module).StructLayout

// goLayout returns goLayoutOf(m), read once per module: every thread
// whose walk reaches runtime.systemstack or runtime.morestack asks, and a
// search of a big program's DWARF takes milliseconds (8 ms in one of
// net/http, encoding/json and crypto/tls; a lazily read file's is
// inflated again).
func (s *Session) goLayout(m *symbolize.Module) *goLayout {
	s.goLayoutMu.Lock()
	defer s.goLayoutMu.Unlock()
	if l, ok := s.goLayouts[m]; ok {
		return l
	}
	l := goLayoutOf(m)
	if s.goLayouts == nil {
		s.goLayouts = map[*symbolize.Module]*goLayout{}
	}
	s.goLayouts[m] = l
	return l
}

// goLayoutOf reads the layout from m's DWARF, nil when it does not give
// all of it.
func goLayoutOf(m *symbolize.Module) *goLayout {
	want := map[string][]string{
		"runtime.g":     {"m", "sched", "stack"},
		"runtime.m":     {"g0", "curg", "gsignal"},
		"runtime.gobuf": {"sp", "pc", "bp"},
		"runtime.stack": {"lo", "hi"},
	}
	got, err := structLayout(m, "runtime", want)
	if err != nil {
		return nil
	}
	g, mm, b, st := got["runtime.g"], got["runtime.m"], got["runtime.gobuf"], got["runtime.stack"]
	has := func(members map[string]int64, names ...string) bool {
		for _, n := range names {
			if _, ok := members[n]; !ok {
				return false
			}
		}
		return true
	}
	if !has(g, "m", "sched") || !has(mm, "g0", "curg") || !has(b, "sp", "pc", "bp") {
		return nil
	}
	l := &goLayout{gM: uint64(g["m"]), gSched: uint64(g["sched"]), mG0: uint64(mm["g0"]), mCurg: uint64(mm["curg"]),
		bufSP: uint64(b["sp"]), bufPC: uint64(b["pc"]), bufBP: uint64(b["bp"])}
	if has(g, "stack") && has(mm, "gsignal") && has(st, "lo", "hi") {
		l.gStackLo, l.gStackHi = uint64(g["stack"]+st["lo"]), uint64(g["stack"]+st["hi"])
		l.mGsignal, l.hasStacks = uint64(mm["gsignal"]), true
	}
	return l
}

// maxGoStack bounds a Go stack's size as read from a core (the runtime's
// default maximum is 1 GB).
const maxGoStack = 1 << 30

// goM returns the Go runtime's layout and the m thread t runs, 0 for a
// thread that runs no Go code, or a program whose DWARF does not give the
// layout. The m is found from a g: the g register (r14) at the thread's
// innermost frame and where a signal interrupted Go code, and the thread's
// TLS slot at fs_base−8; it must hold together (its g0's m is itself).
func (s *Session) goM(t *corefile.Thread, st *stackmap.Stack) (*goLayout, uint64) {
	if len(st.Frames) == 0 || s.Modules == nil {
		return nil, 0
	}
	var lay *goLayout
	for _, i := range []int{0, len(st.Frames) - 1} {
		// (Only a Go program's DWARF is searched: a C library's debug
		// file would be inflated whole looking for the runtime's types.)
		if m := s.Modules.Module(st.Frames[i].LookupPC()); m != nil && m.IsGo() {
			if lay = s.goLayout(m); lay != nil {
				break
			}
		}
	}
	if lay == nil || !lay.hasStacks {
		return nil, 0
	}
	var cands []uint64
	regs := st.RegsAt(0)
	if g, ok := regs.Get(goRegG); ok && g != 0 {
		cands = append(cands, g)
	}
	for i := range st.Frames {
		if st.Frames[i].Signal && i+1 < len(st.Frames) {
			regs := st.RegsAt(i + 1)
			if g, ok := regs.Get(goRegG); ok && g != 0 {
				cands = append(cands, g)
			}
			break
		}
	}
	if fs := t.Regs.FsBase; fs >= 8 {
		if g, ok := s.readWord(fs - 8); ok && g != 0 {
			cands = append(cands, g)
		}
	}
	for _, g := range cands {
		mp, ok := s.readWord(g + lay.gM)
		if !ok || mp == 0 {
			continue
		}
		g0, ok := s.readWord(mp + lay.mG0)
		if !ok || g0 == 0 {
			continue
		}
		if back, ok := s.readWord(g0 + lay.gM); ok && back == mp {
			return lay, mp
		}
	}
	return nil, 0
}

func (s *Session) readWord(a uint64) (uint64, bool) {
	v, err := s.Mem.ReadUint64(a)
	return v, err == nil
}

// goStack returns g's stack, [lo, hi).
func (s *Session) goStack(lay *goLayout, g uint64) ([2]uint64, bool) {
	lo, ok1 := s.readWord(g + lay.gStackLo)
	hi, ok2 := s.readWord(g + lay.gStackHi)
	if !ok1 || !ok2 || lo >= hi || hi-lo > maxGoStack {
		return [2]uint64{}, false
	}
	return [2]uint64{lo, hi}, true
}

// goStacks returns the stacks the Go runtime gave thread t: those of its
// m's g0, gsignal and curg (goM), nil when there is no m.
func (s *Session) goStacks(t *corefile.Thread, st *stackmap.Stack) [][2]uint64 {
	lay, mp := s.goM(t, st)
	if mp == 0 {
		return nil
	}
	var out [][2]uint64
	for _, off := range []uint64{lay.mG0, lay.mGsignal, lay.mCurg} {
		if g, ok := s.readWord(mp + off); ok && g != 0 {
			if gs, ok := s.goStack(lay, g); ok {
				out = append(out, gs)
			}
		}
	}
	return out
}

// goGrowing returns, for a thread in runtime.newstack, the size of the
// stack of the goroutine it was growing (its m's curg) and the runtime's
// maximum (runtime.maxstacksize, which debug.SetMaxStack sets), 0 and 0
// when the core does not say.
func (s *Session) goGrowing(t *corefile.Thread, st *stackmap.Stack) (size, limit uint64) {
	lay, mp := s.goM(t, st)
	if mp == 0 {
		return 0, 0
	}
	curg, ok := s.readWord(mp + lay.mCurg)
	if !ok || curg == 0 {
		return 0, 0
	}
	gs, ok := s.goStack(lay, curg)
	if !ok {
		return 0, 0
	}
	for _, m := range s.Modules.Modules {
		if !m.IsGo() {
			continue
		}
		if sym, ok := m.LookupObjectName("runtime.maxstacksize"); ok {
			if v, ok := s.readWord(m.RuntimeAddr(sym.Addr)); ok && v > 0 {
				return gs[1] - gs[0], v
			}
		}
	}
	return 0, 0
}

// goWithoutCgo reports whether the program is Go without cgo: its
// executable has the runtime (.gopclntab) and the runtime's iscgo, read
// from the core, is false. Then the runtime made every thread
// (runtime.newosproc: a clone with a stack from its heap, as are the
// signal stacks), and only the main thread runs on a stack the kernel
// gave. Without a symbol table it cannot say (false).
func (s *Session) goWithoutCgo() bool {
	s.noCgoOnce.Do(func() {
		if s.Modules == nil {
			return
		}
		for _, m := range s.Modules.Modules {
			if !m.IsGo() {
				continue
			}
			if sym, ok := m.LookupObjectName("runtime.iscgo"); ok {
				v, ok := s.readWord(m.RuntimeAddr(sym.Addr))
				s.noCgo = ok && v&0xff == 0
			}
			return
		}
	})
	return s.noCgo
}

// inGoStack reports whether mapping m only holds, among other things, one
// of stacks that one of the frames' stack pointers lies on: the Go runtime
// allocates goroutine stacks (and, in a program without cgo, every
// thread's g0 and signal stack) in its heap, so the mapping is Go's heap
// arena, not a stack of the thread's, and what is below it is not a guard.
//
// Only a stack of a power-of-two size can be the runtime's (stackalloc
// allocates no other). The bounds it keeps of an operating system's stack,
// which may be far smaller than that stack, mostly are not: a cgo thread's
// g0 (its pthread stack's size less 1 KiB, below a local of mstart) and an
// extra M's g0 guessed from the stack pointer ([sp−32 KiB, sp+1 KiB) when
// the pthread's bounds cannot be had: a callback from a signal handler, or
// a libc without pthread_getattr_np such as musl). m0's g0 (the 64 KiB
// below the initial stack pointer) is one, but its mapping is labelled the
// main stack before (from AT_EXECFN).
func inGoStack(m *corefile.Mapping, stacks [][2]uint64, frames []stackmap.Frame) bool {
	const page = 4096
	for _, gs := range stacks {
		if size := gs[1] - gs[0]; gs[1] <= gs[0] || size&(size-1) != 0 {
			continue // not a stack the runtime allocated
		}
		if gs[0] < m.Start || gs[1] > m.End || gs[0]-m.Start <= page && m.End-gs[1] <= page {
			continue // not inside m, or m is that stack (a cgo thread's)
		}
		for i := range frames {
			if sp := frames[i].SP; sp >= gs[0] && sp < gs[1] {
				return true
			}
		}
	}
	return false
}

// resumeGoroutine goes on with the walk st of thread t on the goroutine's
// own stack when it stopped at runtime.systemstack or runtime.morestack:
// the runtime's fatal errors (runtime.throw, runtime.fatal: concurrent map
// writes, an unlock of an unlocked mutex) run on the thread's g0 stack, as
// does the growing of a goroutine's stack that finds it past its limit
// ("fatal error: stack overflow"), and the goroutine that failed is where
// systemstack or morestack saved it, g0.m.curg.sched, as the runtime's
// own traceback finds it. gdb stops at
// systemstack. g0 is the g register (r14) the walk recovered at that
// frame, or, in a program the Go linker linked itself, the thread's TLS
// slot at fs_base−8; each candidate must hold together (its m's g0 is
// itself, the m's curg is another g whose m is the same, the saved pc is
// code of the module) before its goroutine is walked. It reports whether
// the walk went on.
func (s *Session) resumeGoroutine(t *corefile.Thread, st *stackmap.Stack, opts stackmap.Options) bool {
	last := len(st.Frames) - 1
	if last < 0 || st.End != stackmap.EndOfStack || st.EndDetail != systemstackEnd && st.EndDetail != morestackEnd {
		return false
	}
	m := s.Modules.Module(st.Frames[last].LookupPC())
	if m == nil {
		return false
	}
	lay := s.goLayout(m)
	if lay == nil {
		return false
	}
	regs := st.RegsAt(last)
	var cands []uint64
	if g, ok := regs.Get(goRegG); ok && g != 0 {
		cands = append(cands, g)
	}
	if fs := t.Regs.FsBase; fs >= 8 {
		if g, err := s.Mem.ReadUint64(fs - 8); err == nil && g != 0 {
			cands = append(cands, g)
		}
	}
	read := func(a uint64) (uint64, bool) {
		v, err := s.Mem.ReadUint64(a)
		return v, err == nil
	}
	for _, g0 := range cands {
		mp, ok := read(g0 + lay.gM)
		if !ok || mp == 0 {
			continue
		}
		if self, ok := read(mp + lay.mG0); !ok || self != g0 {
			continue
		}
		curg, ok := read(mp + lay.mCurg)
		if !ok || curg == 0 || curg == g0 {
			continue
		}
		if back, ok := read(curg + lay.gM); !ok || back != mp {
			continue
		}
		sched := curg + lay.gSched
		sp, ok1 := read(sched + lay.bufSP)
		pc, ok2 := read(sched + lay.bufPC)
		bp, ok3 := read(sched + lay.bufBP)
		if !ok1 || !ok2 || !ok3 || !m.Contains(pc) || !s.code.Executable(pc) || s.Core.Mapping(sp) == nil {
			continue
		}
		var next stackmap.Regs
		next.Set(stackmap.RIP, pc)
		next.Set(stackmap.RSP, sp)
		next.Set(stackmap.RBP, bp)
		return st.Resume(s.Mem, s.code, next, opts)
	}
	return false
}
