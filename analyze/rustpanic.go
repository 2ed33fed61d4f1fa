package analyze

import (
	"github.com/coreview/coreview/analyze/rustpanic"
	"github.com/coreview/coreview/corefile"
)

// rustPanic recovers the panic the crashed thread's Rust runtime printed
// before it aborted: its location and, when std had formatted it, its
// message.
func (a *analysis) rustPanic() (rustpanic.Panic, bool) {
	crashed := a.s.Core.CrashedThread()
	for i, t := range a.s.Core.Threads {
		if t != crashed || i >= len(a.report.Threads) {
			continue
		}
		var frames []rustpanic.Frame
		for _, f := range a.report.Threads[i].Frames {
			frames = append(frames, rustpanic.Frame{Function: f.Function, SP: uint64(f.SP), CFA: uint64(f.CFA)})
		}
		return rustpanic.Find(a.s.Mem, panicSpace{a.mm}, frames)
	}
	return rustpanic.Panic{}, false
}

// panicSpace answers rustpanic's questions from the mappings' roles.
type panicSpace struct{ mm *memoryMap }

func (p panicSpace) ReadOnlyData(addr uint64) bool {
	m := p.mm.core.Mapping(addr)
	if m == nil || m.File == "" || m.Perm&corefile.PermR == 0 || m.Perm&(corefile.PermX|corefile.PermW) != 0 {
		return false
	}
	return p.mm.role(m) == RoleRodata
}

func (p panicSpace) Heap(addr uint64) bool {
	m := p.mm.core.Mapping(addr)
	if m == nil {
		return false
	}
	switch p.mm.role(m) {
	case RoleHeap, RoleAnon:
		return m.Perm&corefile.PermW != 0
	}
	return false
}
