package analyze

import (
	"fmt"
	"sort"

	"github.com/coreview/coreview/corefile"
)

// roleWords says what a mapping of a role is, in words.
func (mm *memoryMap) words(m *corefile.Mapping) string {
	i := mm.index[m]
	role, owner := mm.roles[i], mm.owners[i]
	var w string
	switch role {
	case RoleGuard:
		w = "the guard page"
		if up := mm.above(m); up != nil {
			w += " of " + mm.words(up)
		}
		return w
	case RoleStack:
		w = fmt.Sprintf("thread %d's stack", owner)
	case RoleMainStack:
		w = "the main thread's stack"
	case RoleStackSegment:
		w = fmt.Sprintf("a stack segment of thread %d", owner)
	case RoleSigaltstack:
		w = fmt.Sprintf("the signal stack of thread %d", owner)
	case RoleText, RoleRodata, RoleData:
		w = fmt.Sprintf("the %s of %s", role, m.File)
	case RoleBSS:
		w = "bss"
	case RoleProtNone:
		w = "a PROT_NONE mapping"
	case RoleAnon:
		w = "anonymous memory"
	default:
		w = role
	}
	return fmt.Sprintf("%s [%#x–%#x %s]", w, m.Start, m.End, m.Perm)
}

// describe says in words what addr lies in: its mapping, role and owner,
// and how far it is from the mapping's ends; or which mappings surround it.
func (mm *memoryMap) describe(addr uint64) string {
	c := mm.core
	if m := c.Mapping(addr); m != nil {
		return fmt.Sprintf("in %s, %s from its start and %s from its end", mm.words(m), distance(addr-m.Start), distance(m.End-addr))
	}
	i := sort.Search(len(c.Mappings), func(i int) bool { return c.Mappings[i].Start > addr })
	switch {
	case i < len(c.Mappings):
		above := c.Mappings[i]
		return fmt.Sprintf("in no mapping, %s below %s", distance(above.Start-addr), mm.words(above))
	case i > 0:
		below := c.Mappings[i-1]
		return fmt.Sprintf("in no mapping, %s above %s", distance(addr-below.End), mm.words(below))
	}
	return "in no mapping"
}

// distance prints a byte distance exactly when it is small enough to
// matter byte by byte, and in KiB/MiB otherwise.
func distance(n uint64) string {
	if n < 1<<20 {
		if n == 1 {
			return "1 byte"
		}
		return commas(int(n)) + " bytes"
	}
	return humanBytes(n)
}
