package analyze

import (
	"sort"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// brkRandomRange is how far above the executable's end the kernel may
// place the initial program break (arch_randomize_brk: 1 GiB on x86-64 since Linux 5.18, 32 MiB before).
const brkRandomRange = 1 << 30

// memoryMap is the mappings of the core with their roles, index-aligned
// with corefile.File.Mappings.
type memoryMap struct {
	core   *corefile.File
	roles  []report.Role
	owners []int
	index  map[*corefile.Mapping]int
}

func (mm *memoryMap) role(m *corefile.Mapping) report.Role {
	if m == nil {
		return ""
	}
	return mm.roles[mm.index[m]]
}

// below returns the mapping that ends exactly where m starts, or nil.
func (mm *memoryMap) below(m *corefile.Mapping) *corefile.Mapping {
	i := mm.index[m]
	if i > 0 && mm.core.Mappings[i-1].End == m.Start {
		return mm.core.Mappings[i-1]
	}
	return nil
}

// above returns the mapping that starts exactly where m ends, or nil.
func (mm *memoryMap) above(m *corefile.Mapping) *corefile.Mapping {
	i := mm.index[m]
	if i+1 < len(mm.core.Mappings) && mm.core.Mappings[i+1].Start == m.End {
		return mm.core.Mappings[i+1]
	}
	return nil
}

// stackOf returns the stack addr belongs to: the writable anonymous
// mapping holding it; for an address in a PROT_NONE guard, the mapping right
// above the guard; for an unmapped address just below a stack (the gap
// under the main stack, a stack pointer that ran off a stack without a
// guard), that stack. It returns nil for anything else. Frames whose SP
// and CFA have different stacks straddle a stack switch.
// gapBelow is the unmapped space below a stack that has no guard mapping:
// down to the next mapping and, for the main stack, no further than the
// kernel's stack_guard_gap.
func (mm *memoryMap) gapBelow(stack *corefile.Mapping) (lo, hi uint64) {
	if i := mm.index[stack]; i > 0 {
		lo = mm.core.Mappings[i-1].End
	}
	if mm.role(stack) == report.RoleMainStack && stack.Start-lo > report.StackGuardGap {
		lo = stack.Start - report.StackGuardGap
	}
	return lo, stack.Start
}

func (mm *memoryMap) stackOf(addr uint64) *corefile.Mapping {
	c := mm.core
	if m := c.Mapping(addr); m != nil {
		if m.Perm == 0 {
			m = mm.above(m)
		}
		if writableAnon(m) {
			return m
		}
		return nil
	}
	i := sort.Search(len(c.Mappings), func(i int) bool { return c.Mappings[i].Start > addr })
	if i == len(c.Mappings) {
		return nil
	}
	up := c.Mappings[i]
	limit := uint64(threadStackGap)
	if mm.role(up) == report.RoleMainStack {
		limit = mainStackGap
	}
	if writableAnon(up) && up.Start-addr <= limit {
		return up
	}
	return nil
}

// sameStack reports whether a frame's stack pointer and CFA lie on the same
// stack, so that CFA − SP is stack the frame uses. Where psm switched
// stacks (rust_psm_on_stack), the SP is on the new segment and the CFA on
// the old stack, and the difference is only the distance between the two.
func (mm *memoryMap) sameStack(sp, cfa uint64) bool {
	if cfa <= sp {
		return cfa == sp
	}
	m := mm.stackOf(sp)
	return m != nil && m == mm.stackOf(cfa-1)
}

// threadStacks says which mappings one thread's frames run on.
type threadStacks struct {
	home     *corefile.Mapping   // holds the outermost frame: the stack the thread was given
	segments []*corefile.Mapping // other mappings its frames run on (psm/stacker segments)
	altstack *corefile.Mapping   // where a signal handler ran, if not on home or a segment
}

func writableAnon(m *corefile.Mapping) bool {
	return m != nil && m.File == "" && m.Perm&corefile.PermW != 0
}

// stacksOf finds the stacks of one thread from its frames' stack pointers.
// Frames above a signal frame ran on the handler's stack; the rest of the
// thread's frames tell its own stacks.
func stacksOf(c *corefile.File, st *stackmap.Stack) threadStacks {
	var ts threadStacks
	sig := -1
	for i, f := range st.Frames {
		if f.Signal {
			sig = i
			break
		}
	}
	own := st.Frames
	if sig >= 0 {
		own = st.Frames[sig+1:]
	}
	own = own[:goroutineStart(own)]
	for i := len(own) - 1; i >= 0; i-- {
		if m := c.Mapping(own[i].SP); writableAnon(m) {
			ts.home = m
			break
		}
	}
	seen := map[*corefile.Mapping]bool{ts.home: true}
	for _, f := range own {
		if m := c.Mapping(f.SP); writableAnon(m) && !seen[m] {
			seen[m] = true
			ts.segments = append(ts.segments, m)
		}
	}
	if sig >= 0 {
		if m := c.Mapping(st.Frames[0].SP); writableAnon(m) && !seen[m] {
			ts.altstack = m
		}
	}
	return ts
}

// goroutineStart is the index of the first of frames on a Go goroutine's
// own stack (Stack.Resume's MethodGoroutine frame), len(frames) if none
// is: the runtime allocates goroutine stacks in its heap, and the thread's
// own stacks are those of the frames before.
func goroutineStart(frames []stackmap.Frame) int {
	for i := range frames {
		if frames[i].Method == stackmap.MethodGoroutine {
			return i
		}
	}
	return len(frames)
}

// buildMemoryMap gives every mapping a role: what it is (text, data,
// heap…) and, for stacks, whose.
func (s *Session) buildMemoryMap(stacks []*stackmap.Stack) *memoryMap {
	c := s.Core
	mm := &memoryMap{core: c, roles: make([]report.Role, len(c.Mappings)), owners: make([]int, len(c.Mappings)), index: map[*corefile.Mapping]int{}}
	roles, owners := mm.roles, mm.owners
	for i, m := range c.Mappings {
		mm.index[m] = i
	}
	vdso, _ := c.Aux(corefile.AT_SYSINFO_EHDR)
	execfn, _ := c.Aux(corefile.AT_EXECFN)
	exe := s.exePath()
	var exeEnd uint64
	for i, m := range c.Mappings {
		switch {
		case m.Start == 0xffffffffff600000:
			roles[i] = report.RoleVsyscall
		case vdso != 0 && m.Start == vdso:
			roles[i] = report.RoleVDSO
		case m.File != "" && !s.isModule(m):
			roles[i] = report.RoleFile // a data file the program mapped, or a file mapped again
		case m.File != "":
			switch {
			case m.Perm&corefile.PermX != 0:
				roles[i] = report.RoleText
			case m.Perm == corefile.PermR:
				roles[i] = report.RoleRodata
			case m.Perm&corefile.PermW != 0:
				roles[i] = report.RoleData
			default:
				roles[i] = report.RoleFile
			}
			if m.File == exe {
				exeEnd = m.End
			}
		}
	}
	// vvar pages sit right below the vDSO, read-only and anonymous.
	for i := range c.Mappings {
		if roles[i] != report.RoleVDSO {
			continue
		}
		for j := i - 1; j >= 0 && c.Mappings[j].End == c.Mappings[j+1].Start && c.Mappings[j].File == "" &&
			c.Mappings[j].Perm&corefile.PermW == 0 && roles[j] == ""; j-- {
			roles[j] = report.RoleVVAR
		}
	}
	set := func(m *corefile.Mapping, role report.Role, tid int) {
		if m == nil {
			return
		}
		i := mm.index[m]
		if roles[i] == "" || roles[i] == report.RoleAnon {
			roles[i], owners[i] = role, tid
		}
	}
	if m := c.Mapping(execfn); m != nil {
		// The main thread's: its TID is the process's PID. The loop
		// below names the thread whose stack pointer is on it, when
		// one is; the crashed thread need not be the main one.
		tid := 0
		if c.Process != nil {
			tid = c.Process.PID
		}
		set(m, report.RoleMainStack, tid)
	}
	for ti, st := range stacks {
		tid := c.Threads[ti].TID
		ts := stacksOf(c, st)
		// What the Go runtime allocated in its heap is labelled heap,
		// not this thread's stack: from the thread's own Go stacks when
		// the DWARF lays out g and m, else, in a Go program without
		// cgo (whose released binaries mostly have no DWARF), every
		// stack but the main thread's (set above, and kept).
		goStacks := s.goStacks(c.Threads[ti], st)
		noCgo := goStacks == nil && s.goWithoutCgo()
		for _, m := range append([]*corefile.Mapping{ts.home, ts.altstack}, ts.segments...) {
			if m != nil && (noCgo || goStacks != nil && inGoStack(m, goStacks, st.Frames)) {
				set(m, report.RoleHeap, 0)
			}
		}
		if ts.home != nil && mm.role(ts.home) == report.RoleMainStack {
			owners[mm.index[ts.home]] = tid
		}
		set(ts.home, report.RoleStack, tid)
		for _, seg := range ts.segments {
			// stacker (and any careful allocator of stacks) puts a
			// PROT_NONE page below a segment; without one, it is not a
			// stack segment in that sense.
			if g := mm.below(seg); g != nil && g.Perm == 0 {
				set(seg, report.RoleStackSegment, tid)
			} else {
				set(seg, report.RoleStackUnguarded, tid)
			}
		}
		set(ts.altstack, report.RoleSigaltstack, tid)
	}
	// A PROT_NONE mapping directly below a stack is its guard (glibc puts
	// guardsize bytes at the low end of every pthread stack; stacker and
	// Rust's sigaltstack put one page below theirs).
	for i, m := range c.Mappings {
		if m.Perm != 0 || roles[i] != "" {
			continue
		}
		roles[i] = report.RoleProtNone
		if up := mm.above(m); up != nil {
			switch r := mm.role(up); r {
			case report.RoleStack, report.RoleMainStack, report.RoleStackSegment, report.RoleSigaltstack:
				roles[i], owners[i] = report.RoleGuard, owners[mm.index[up]]
			}
		}
	}
	// bss: anonymous rw memory right after a module's data; heap: the
	// first anonymous rw mapping within the brk randomization range above
	// the executable.
	heapFound := false
	for i, m := range c.Mappings {
		if roles[i] != "" || m.File != "" {
			continue
		}
		switch {
		case i > 0 && roles[i-1] == report.RoleData && c.Mappings[i-1].End == m.Start && m.Perm&corefile.PermW != 0:
			roles[i] = report.RoleBSS
		case !heapFound && exeEnd != 0 && m.Start >= exeEnd && m.Start-exeEnd <= brkRandomRange && m.Perm&corefile.PermW != 0:
			roles[i], heapFound = report.RoleHeap, true
		default:
			roles[i] = report.RoleAnon
		}
	}
	return mm
}

// mappings lists the mappings with their roles for the report.
func (mm *memoryMap) mappings() []report.Mapping {
	out := make([]report.Mapping, len(mm.core.Mappings))
	for i, m := range mm.core.Mappings {
		out[i] = report.Mapping{Start: report.Addr(m.Start), End: report.Addr(m.End), Perms: m.Perm.String(), File: m.File,
			Offset: report.Addr(m.FileOff), Role: mm.roles[i], Owner: mm.owners[i], Dumped: m.FileSize > 0}
		if m.Truncated {
			cut := report.Addr(m.CutAt)
			out[i].TruncatedAt = &cut
		}
	}
	return out
}
