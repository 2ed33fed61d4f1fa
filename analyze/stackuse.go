package analyze

import (
	"sort"

	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// stackUse measures stack use per function over a thread's frames, from
// the faulting one (frames[0]) outwards. A complete frame uses CFA − SP
// bytes: the distance between its CFA and the CFA of the frame it called,
// whose CFA is its SP. The faulting frame is not complete (it may have
// faulted halfway through allocating itself, on a stack probe), so it
// counts as the frame its function needed, need (CFA − SP when need is
// unknown). A frame whose SP and CFA lie on different stacks (where psm
// switched the stack pointer: rust_psm_on_stack's SP is on the new
// segment, its CFA on the old stack) uses no bytes of either that the
// unwind can tell: it counts 0, not the distance between the two mappings.
// It returns the recursion runs (one function repeated in consecutive
// frames), largest first, with the bytes per complete frame; and the top
// consumers by function.
func (mm *memoryMap) stackUse(frames []report.Frame, raw []stackmap.Frame, need int64) (runs []report.RecursionRun, top []report.FunctionBytes) {
	used := func(i int) uint64 {
		if i == 0 && need > 0 {
			return uint64(need)
		}
		if raw[i].CFA > raw[i].SP && mm.sameStack(raw[i].SP, raw[i].CFA) {
			return raw[i].CFA - raw[i].SP
		}
		return 0
	}
	byFunc := map[string]*report.FunctionBytes{}
	for i := 0; i < len(frames); i++ {
		name := frames[i].Function
		if name == "" {
			continue
		}
		j, bytes := i, used(i)
		for j+1 < len(frames) && frames[j+1].Function == name {
			j++
			bytes += used(j)
		}
		if j-i+1 >= 3 {
			run := report.RecursionRun{Function: name, Frames: j - i + 1, Bytes: bytes, First: frames[i].Index, Last: frames[j].Index}
			complete, n := bytes, uint64(run.Frames)
			if i == 0 {
				complete, n = bytes-used(0), n-1
			}
			run.Each = complete / n
			runs = append(runs, run)
		}
		fb := byFunc[name]
		if fb == nil {
			fb = &report.FunctionBytes{Function: name}
			byFunc[name] = fb
		}
		fb.Frames += j - i + 1
		fb.Bytes += bytes
		i = j
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Bytes > runs[j].Bytes })
	if len(runs) > 3 {
		runs = runs[:3]
	}
	for _, fb := range byFunc {
		top = append(top, *fb)
	}
	sort.Slice(top, func(i, j int) bool {
		if top[i].Bytes != top[j].Bytes {
			return top[i].Bytes > top[j].Bytes
		}
		return top[i].Function < top[j].Function
	})
	if len(top) > 5 {
		top = top[:5]
	}
	if runs == nil {
		runs = []report.RecursionRun{}
	}
	return runs, top
}
