package analyze

import (
	"fmt"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/report"
)

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
		var segs []report.Segment
		var switches []report.Switch
		var cur *corefile.Mapping
		for i := first; i < len(frames); i++ {
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
					switches = append(switches, report.Switch{Frame: i, Function: a.report.Threads[ti].Frames[i].Function, Direction: dir})
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
		d.Summary = fmt.Sprintf("Thread %d runs on %d stacks: its frames switch mappings %d time(s).", tid, len(segs), len(switches))
		for _, sg := range segs {
			line := fmt.Sprintf("frames #%d–#%d on %s [%#x–%#x) (%s), %s used", sg.FirstFrame, sg.LastFrame,
				sg.Role, uint64(sg.Start), uint64(sg.End), humanBytes(uint64(sg.End-sg.Start)), humanBytes(sg.BytesUsed))
			if sg.GuardEnd != 0 {
				line += fmt.Sprintf(", guard page [%#x–%#x)", uint64(sg.GuardStart), uint64(sg.GuardEnd))
			}
			d.Explanation = append(d.Explanation, line)
		}
		for _, sw := range switches {
			name := sw.Function
			if name == "" {
				name = "??"
			}
			from, to := segs[0], segs[0]
			for k := range segs {
				if segs[k].FirstFrame == sw.Frame {
					from, to = segs[k], segs[k-1]
				}
			}
			why := fmt.Sprintf("the frames it calls run on [%#x–%#x), %s below its own stack [%#x–%#x)",
				uint64(to.Start), uint64(to.End), distance(uint64(from.Start-to.End)), uint64(from.Start), uint64(from.End))
			if sw.Direction == "up" {
				why = fmt.Sprintf("the frames it calls run on [%#x–%#x), %s *above* its own stack [%#x–%#x): stack addresses go up at this call instead of down",
					uint64(to.Start), uint64(to.End), distance(uint64(to.Start-from.End)), uint64(from.Start), uint64(from.End))
			}
			line := fmt.Sprintf("at #%d (%s) the stack switches: %s", sw.Frame, name, why)
			if stackerSwitch(a.report.Threads[ti].Frames, sw.Frame) {
				line += "; stacker allocated a new segment (an mmap of the requested size + 2 pages, PROT_NONE at the low end) and psm moved the stack pointer onto it. stacker::grow always does this; stacker::maybe_grow does it when less than its red zone is left, and always where stacker cannot see the stack's limit (as on illumos in the Oxide rustc story)."
			}
			d.Explanation = append(d.Explanation, line)
		}
		out = append(out, d)
	}
	return out
}
