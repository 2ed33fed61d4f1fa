package analyze

import (
	"debug/elf"
	"strings"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
	"github.com/coreview/coreview/symbolize"
)

// stackerSwitch reports whether the stack switch at frames[at] is
// stacker's: psm's or stacker's functions among the frames around it
// (rust_psm_on_stack, psm::on_stack, stacker::grow, …). The stack-overflow
// and stack-segments diagnoses both ask, and must agree.
func stackerSwitch(frames []report.Frame, at int) bool {
	for _, f := range frames[max(at-2, 0):min(at+2, len(frames))] {
		if stackerFunction(f.Function) {
			return true
		}
	}
	return false
}

// stackerPrefixes begin the names of psm's and stacker's functions: the
// crates' paths, and psm's assembly entry points (rust_psm_on_stack,
// rust_psm_replace_stack, rust_psm_stack_pointer).
var stackerPrefixes = []string{"psm::", "rust_psm_", "stacker::"}

// stackerFunction reports whether name (demangled) is one of psm's or
// stacker's functions, or a trait method of one of their types
// ("<stacker::StackRestoreGuard as core::ops::drop::Drop>::drop"). A
// prefix, not a substring: upsmtp::send and my_stacker_pool::run are not.
func stackerFunction(name string) bool {
	name = strings.TrimPrefix(name, "<")
	for _, p := range stackerPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// segmentExtent looks at the frames from the faulting one outwards for
// the switch onto the segment seg: the first frame whose SP is on seg and
// whose CFA is not (rust_psm_on_stack, which moved the stack pointer), or
// failing that the first frame whose SP is off seg. It returns nil when
// every frame is on seg: the unwind never shows the switch.
func (mm *memoryMap) segmentExtent(seg, guard *corefile.Mapping, frames []report.Frame, raw []stackmap.Frame) *report.SegmentExtent {
	var top uint64
	sw := -1
	for i, f := range raw {
		if mm.stackOf(f.SP) != seg {
			sw = i
			break
		}
		top = max(top, f.SP)
		if f.CFA == 0 || mm.stackOf(f.CFA-1) != seg {
			sw = i
			break
		}
		top = max(top, f.CFA)
	}
	if sw < 0 || top == 0 {
		return nil
	}
	ext := &report.SegmentExtent{SwitchFrame: frames[sw].Index, SwitchFunction: frames[sw].Function, Top: report.Addr((top + 4095) &^ 4095)}
	ext.Stacker = stackerSwitch(frames, sw)
	if ext.Stacker && guard != nil && uint64(ext.Top) > guard.End {
		ext.Pages = int((uint64(ext.Top)-guard.End)/4096) + 2
		ext.Requested = uint64(ext.Pages-2) * 4096
		if rw := uint64(ext.Pages-1) * 4096; seg.End-seg.Start > rw {
			ext.MappingExtra = seg.End - seg.Start - rw
		}
	}
	return ext
}

// stackerLimit reads stacker's STACK_LIMIT for the thread: the
// thread-local `STACK_LIMIT: Cell<Option<usize>>` of the stacker crate,
// when it is in the executable's static TLS block. On x86-64 (TLS variant
// II, glibc's _dl_determine_tlsoffset) the executable's block ends at the
// thread pointer (fs_base): it starts at tp − (roundup(p_memsz −
// firstbyte, p_align) + firstbyte), firstbyte = p_vaddr mod p_align, and
// the symbol's st_value is its offset in the block. std keeps a lazy
// thread-local as { value: MaybeUninit<T>, state: u8 } (value first,
// 24 bytes for this T) or, in older releases, as an enum { Initial,
// Alive(T), Destroyed } with its tag first; a reading is used only when
// the layouts that fit it agree. A shared library's block is found
// through the thread's DTV (dtvBlock). Anything else (musl, a module
// without the symbol) gives nil.
func (a *analysis) stackerLimit(t *corefile.Thread) *report.StackerLimit {
	entry, ok := a.s.Core.Aux(corefile.AT_ENTRY)
	if !ok {
		return nil
	}
	exe := a.s.Modules.Module(entry)
	if exe == nil || t.Regs.FsBase == 0 {
		return nil
	}
	for _, m := range a.s.Modules.Modules {
		if m.Name() == "libc.so" || strings.HasPrefix(m.Name(), "ld-musl") {
			return nil // musl lays static TLS out its own way
		}
	}
	// The executable first, then the modules the thread's frames run
	// in (whose symbol tables the frames have read already).
	cands := []*symbolize.Module{exe}
	seen := map[*symbolize.Module]bool{exe: true}
	var frames []stackmap.Frame
	if ct := a.crashed(); ct != nil && ct.core == t {
		frames = ct.stack.Frames
	}
	for _, f := range frames {
		if m := a.s.Modules.Module(f.LookupPC()); m != nil && !seen[m] {
			seen[m] = true
			cands = append(cands, m)
		}
	}
	var addr uint64
	found := false
	for _, m := range cands {
		sym, ok := m.TLSSymbol("7stacker11STACK_LIMIT")
		if !ok || sym.Size != 24 {
			continue
		}
		vaddr, memsz, align, ok := m.TLSTemplate()
		if !ok || align&(align-1) != 0 || memsz > 1<<30 || sym.Addr+sym.Size > memsz {
			return nil
		}
		var block uint64
		if m == exe {
			first := vaddr & (align - 1)
			off := (memsz-first+align-1)&^(align-1) + first
			if off > t.Regs.FsBase {
				return nil
			}
			block = t.Regs.FsBase - off
		} else if block, ok = a.dtvBlock(m, t); !ok {
			return nil
		}
		addr, found = block+sym.Addr, true
		break
	}
	if !found {
		return nil
	}
	var w [3]uint64
	for i := range w {
		v, err := a.s.Mem.ReadUint64(addr + uint64(8*i))
		if err != nil {
			return nil
		}
		w[i] = v
	}
	type reading struct {
		state string
		limit *uint64
	}
	states := []string{"uninitialized", "alive", "destroyed"}
	var fits []reading
	// Value first: Option<usize> as (tag, value), then the state byte.
	if st := w[2] & 0xff; st <= 2 && w[0] <= 1 {
		r := reading{state: states[st]}
		if st == 1 && w[0] == 1 {
			v := w[1]
			r.limit = &v
		}
		fits = append(fits, r)
	}
	// Tag first: Initial, Alive(Option<usize>), Destroyed.
	if w[0] <= 2 && (w[0] != 1 || w[1] <= 1) {
		r := reading{state: states[w[0]]}
		if w[0] == 1 && w[1] == 1 {
			v := w[2]
			r.limit = &v
		}
		fits = append(fits, r)
	}
	if len(fits) == 0 {
		return nil
	}
	for _, f := range fits[1:] {
		if f.state != fits[0].state || (f.limit == nil) != (fits[0].limit == nil) || f.limit != nil && *f.limit != *fits[0].limit {
			return nil
		}
	}
	out := &report.StackerLimit{State: fits[0].state, Address: report.Addr(addr)}
	if l := fits[0].limit; l != nil {
		// A limit is an address of the thread's stacks: in a mapping, or
		// at one's end.
		if a.s.Core.Mapping(*l) == nil && a.s.Core.Mapping(*l-1) == nil {
			return nil
		}
		v := report.Addr(*l)
		out.Limit = &v
	}
	return out
}

// dtvBlock finds a shared library's TLS block for a thread through the
// thread's DTV (glibc: the TCB at fs_base holds it at +8, and entry i, 16
// bytes each, points at module i's block). The module's id is its place
// among the modules with a PT_TLS segment in the dynamic linker's list,
// which assigns ids in load order, the executable first: the list is read
// from the executable's DT_DEBUG (struct r_debug, r_map at +8) through the
// public head of each struct link_map (l_addr, l_name, l_ld, l_next at 0,
// 8, 16, 24), matched to modules by load bias.
func (a *analysis) dtvBlock(m *symbolize.Module, t *corefile.Thread) (uint64, bool) {
	mem := a.s.Mem
	rdebug, ok := a.rDebug()
	if !ok {
		return 0, false
	}
	lm, err := mem.ReadUint64(rdebug + 8)
	if err != nil {
		return 0, false
	}
	modid := uint64(0)
	for i := 0; lm != 0 && i < maxLinkMap; i++ {
		bias, err1 := mem.ReadUint64(lm)
		next, err2 := mem.ReadUint64(lm + 24)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		var mod *symbolize.Module
		for _, c := range a.s.Modules.Modules {
			if c.Bias == bias && (i == 0) == (c == a.exeModule()) {
				mod = c
			}
		}
		if mod == nil {
			if i == 0 {
				return 0, false // the list does not start with the executable
			}
			lm = next
			continue // the vDSO's entry, or a module not loaded from a file
		}
		if _, _, _, ok := mod.TLSTemplate(); ok {
			modid++
		}
		if mod == m {
			if modid == 0 {
				return 0, false
			}
			dtv, err := mem.ReadUint64(t.Regs.FsBase + 8)
			if err != nil || dtv == 0 {
				return 0, false
			}
			block, err := mem.ReadUint64(dtv + 16*modid)
			// TLS_DTV_UNALLOCATED is -1: a block allocated on first use.
			if err != nil || block == 0 || block == ^uint64(0) {
				return 0, false
			}
			return block, true
		}
		lm = next
	}
	return 0, false
}

// maxLinkMap bounds the walk of the dynamic linker's module list.
const maxLinkMap = 1 << 16

// exeModule is the module holding the entry point.
func (a *analysis) exeModule() *symbolize.Module {
	entry, ok := a.s.Core.Aux(corefile.AT_ENTRY)
	if !ok {
		return nil
	}
	return a.s.Modules.Module(entry)
}

// rDebug returns the address of the dynamic linker's struct r_debug: the
// value of the executable's DT_DEBUG entry in its dynamic section, as the
// process's memory holds it (the linker fills it in at start-up).
func (a *analysis) rDebug() (uint64, bool) {
	exe := a.exeModule()
	if exe == nil || exe.ELF() == nil {
		return 0, false
	}
	for _, p := range exe.ELF().Progs {
		if p.Type != elf.PT_DYNAMIC {
			continue
		}
		start := exe.RuntimeAddr(p.Vaddr)
		for i := uint64(0); i < min(p.Memsz/16, 4096); i++ {
			tag, err1 := a.s.Mem.ReadUint64(start + 16*i)
			val, err2 := a.s.Mem.ReadUint64(start + 16*i + 8)
			if err1 != nil || err2 != nil || tag == uint64(elf.DT_NULL) {
				return 0, false
			}
			if tag == uint64(elf.DT_DEBUG) {
				return val, val != 0
			}
		}
	}
	return 0, false
}

// diagnoseStackSegments reports every thread whose frames cross from one
// stack mapping to another (ignoring a signal handler's own stack).
func (a *analysis) diagnoseStackSegments() []report.Diagnosis {
	var out []report.Diagnosis
	c := a.s.Core
	for ti, st := range a.stacks {
		frames := st.Frames
		first := 0
		for i, f := range frames {
			if f.Signal {
				first = i + 1
			}
		}
		// A Go goroutine's frames (Stack.Resume) are on the stack the
		// runtime switched from to g0, not one the thread's code
		// switched to.
		end := first + goroutineStart(frames[first:])
		var segs []report.Segment
		var switches []report.Switch
		var cur *corefile.Mapping
		for i := first; i < end; i++ {
			m := a.mm.stackOf(frames[i].SP)
			if m == nil {
				continue
			}
			if m != cur {
				if cur != nil {
					// Seen from the caller (frame i) calling inward, the
					// callee's stack is "up" when it lies at higher
					// addresses: the opposite of a normal call.
					dir := "down"
					if frames[i].SP < frames[i-1].SP {
						dir = "up"
					}
					switches = append(switches, report.Switch{Frame: i, Function: a.frameName(ti, i), Direction: dir})
				}
				seg := report.Segment{Start: report.Addr(m.Start), End: report.Addr(m.End), Role: a.mm.role(m), FirstFrame: i}
				if g := a.mm.below(m); g != nil && g.Perm == 0 {
					seg.GuardStart, seg.GuardEnd = report.Addr(g.Start), report.Addr(g.End)
				}
				segs = append(segs, seg)
				cur = m
			}
			seg := &segs[len(segs)-1]
			seg.LastFrame = i
			// Bytes used on this mapping: from the innermost frame's SP
			// to the highest CFA that still lies in it.
			top := frames[i].SP
			if cfa := frames[i].CFA; cfa != 0 && m.Contains(cfa-1) {
				top = cfa
			}
			if top > frames[seg.FirstFrame].SP {
				seg.BytesUsed = top - frames[seg.FirstFrame].SP
			}
		}
		if len(segs) < 2 {
			continue
		}
		tid := c.Threads[ti].TID
		d := report.Diagnosis{Kind: report.KindStackSegments, Thread: tid, StackSegments: &report.StackSegments{Segments: segs, Switches: switches}}
		for k := range switches {
			switches[k].Stacker = stackerSwitch(a.frameWindow(ti, switches[k].Frame))
		}
		d.Summary, d.Explanation = d.StackSegments.Explain(tid)
		out = append(out, d)
	}
	return out
}

// frameName is the function of frame i of thread ti, symbolized here when
// --max-frames left it out of the report.
func (a *analysis) frameName(ti, i int) string {
	if fs := a.report.Threads[ti].Frames; i < len(fs) {
		return fs[i].Function
	}
	return a.s.frame(i, &a.stacks[ti].Frames[i]).Function
}

// frameWindow is the frames of thread ti that stackerSwitch looks at for
// a switch at frame at (at-2 to at+1), with their function names, and
// where at is among them.
func (a *analysis) frameWindow(ti, at int) ([]report.Frame, int) {
	lo, hi := max(at-2, 0), min(at+2, len(a.stacks[ti].Frames))
	out := make([]report.Frame, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, report.Frame{Index: i, Function: a.frameName(ti, i)})
	}
	return out, at - lo
}
