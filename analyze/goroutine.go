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
// which switched to the thread's g0 stack to grow a goroutine's.
const morestackEnd = "reached runtime.morestack, which switched to this thread's g0 stack to grow a goroutine's"

// goRegG is r14's DWARF number: Go's internal ABI keeps the running g in
// it.
const goRegG = 14

// goLayout holds the offsets of the Go runtime's structures that lead
// from a thread's g0 to the goroutine it switched from: g.m, m.g0,
// m.curg, g.sched and its sp, pc and bp, as the program's DWARF declares
// them (they move between Go releases).
type goLayout struct {
	gM, gSched, mG0, mCurg, bufSP, bufPC, bufBP uint64
}

// goLayoutOf reads the layout from m's DWARF, nil when it does not give
// all of it.
func goLayoutOf(m *symbolize.Module) *goLayout {
	want := map[string][]string{
		"runtime.g":     {"m", "sched"},
		"runtime.m":     {"g0", "curg"},
		"runtime.gobuf": {"sp", "pc", "bp"},
	}
	got, err := m.StructLayout("runtime", want)
	if err != nil || len(got) != len(want) {
		return nil
	}
	for t, members := range want {
		if len(got[t]) != len(members) {
			return nil
		}
	}
	g, mm, b := got["runtime.g"], got["runtime.m"], got["runtime.gobuf"]
	return &goLayout{gM: uint64(g["m"]), gSched: uint64(g["sched"]), mG0: uint64(mm["g0"]), mCurg: uint64(mm["curg"]),
		bufSP: uint64(b["sp"]), bufPC: uint64(b["pc"]), bufBP: uint64(b["bp"])}
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
	lay := goLayoutOf(m)
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
