package analyze

import (
	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/stackmap"
)

// Mapping roles.
const (
	RoleText      = "text"
	RoleRodata    = "rodata"
	RoleData      = "data"
	RoleBSS       = "bss"
	RoleHeap      = "heap"
	RoleStack     = "stack"
	RoleMainStack = "main-stack"
	RoleGuard     = "guard"
	RoleProtNone  = "prot-none"
	RoleVDSO      = "vdso"
	RoleVVAR      = "vvar"
	RoleVsyscall  = "vsyscall"
	RoleAnon      = "anon"
	RoleFile      = "file"
)

// brkRandomRange is how far above the executable's end the kernel may
// place the initial program break (arch_randomize_brk: 32 MiB on x86-64).
const brkRandomRange = 32 << 20

// mappings lists the mappings with their roles. A thread's stack is the
// mapping its stack pointer (or its frames' CFAs) lie in; a PROT_NONE
// mapping directly below a stack is that stack's guard.
func (s *Session) mappings(stacks []*stackmap.Stack) []Mapping {
	c := s.Core
	roles := make([]string, len(c.Mappings))
	owners := make([]int, len(c.Mappings))
	index := map[*corefile.Mapping]int{}
	for i, m := range c.Mappings {
		index[m] = i
	}
	vdso, _ := c.Aux(corefile.AT_SYSINFO_EHDR)
	execfn, _ := c.Aux(corefile.AT_EXECFN)
	exe := s.exePath()
	var exeEnd uint64
	for i, m := range c.Mappings {
		switch {
		case m.Start == 0xffffffffff600000:
			roles[i] = RoleVsyscall
		case vdso != 0 && m.Start == vdso:
			roles[i] = RoleVDSO
		case m.File != "":
			switch {
			case m.Perm&corefile.PermX != 0:
				roles[i] = RoleText
			case m.Perm == corefile.PermR:
				roles[i] = RoleRodata
			case m.Perm&corefile.PermW != 0:
				roles[i] = RoleData
			default:
				roles[i] = RoleFile
			}
			if m.File == exe {
				exeEnd = m.End
			}
		}
	}
	// vvar pages sit right below the vDSO, read-only and anonymous.
	for i, m := range c.Mappings {
		if roles[i] == RoleVDSO {
			for j := i - 1; j >= 0 && c.Mappings[j].End == c.Mappings[j+1].Start && c.Mappings[j].File == "" && c.Mappings[j].Perm&corefile.PermW == 0 && roles[j] == ""; j-- {
				roles[j] = RoleVVAR
			}
			_ = m
		}
	}
	// Stacks: the mapping holding each thread's SP, and any other mapping
	// its frames' CFAs run through.
	for ti, st := range stacks {
		tid := c.Threads[ti].TID
		for _, f := range st.Frames {
			for _, a := range []uint64{f.SP, f.CFA} {
				if m := c.Mapping(a); m != nil && m.File == "" && m.Perm&corefile.PermW != 0 {
					i := index[m]
					if roles[i] == "" {
						roles[i], owners[i] = RoleStack, tid
					}
				}
			}
		}
	}
	if m := c.Mapping(execfn); m != nil {
		i := index[m]
		roles[i] = RoleMainStack
		if len(c.Threads) > 0 && owners[i] == 0 {
			owners[i] = c.Threads[0].TID
		}
	}
	for i, m := range c.Mappings {
		if m.Perm != 0 || roles[i] != "" {
			continue
		}
		roles[i] = RoleProtNone
		if i+1 < len(c.Mappings) && c.Mappings[i+1].Start == m.End {
			if r := roles[i+1]; r == RoleStack || r == RoleMainStack {
				roles[i], owners[i] = RoleGuard, owners[i+1]
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
		case i > 0 && roles[i-1] == RoleData && c.Mappings[i-1].End == m.Start && m.Perm&corefile.PermW != 0:
			roles[i] = RoleBSS
		case !heapFound && exeEnd != 0 && m.Start >= exeEnd && m.Start-exeEnd <= brkRandomRange && m.Perm&corefile.PermW != 0:
			roles[i], heapFound = RoleHeap, true
		default:
			roles[i] = RoleAnon
		}
	}
	out := make([]Mapping, len(c.Mappings))
	for i, m := range c.Mappings {
		out[i] = Mapping{Start: Addr(m.Start), End: Addr(m.End), Perms: m.Perm.String(), File: m.File,
			Offset: Addr(m.FileOff), Role: roles[i], Owner: owners[i], Dumped: m.FileSize > 0}
	}
	return out
}
