package analyze

import (
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
	f := &a.stacks[ti].Frames[i]
	return a.s.frame(i, f, f.LookupPC()).Function
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
