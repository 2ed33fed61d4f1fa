package analyze

import (
	"fmt"

	"github.com/coreview/coreview/corefile"
)

// StackSegments is the detail of a "stack-segments" diagnosis: a thread's
// frames run on more than one mapping, because something (psm, used by
// stacker) switched the stack pointer to a freshly allocated segment.
type StackSegments struct {
	Segments []Segment `json:"segments"`
	Switches []Switch  `json:"switches"`
}

// Segment is a run of consecutive frames on one mapping.
type Segment struct {
	Start      Addr   `json:"start"`
	End        Addr   `json:"end"`
	GuardStart Addr   `json:"guard_start,omitempty"`
	GuardEnd   Addr   `json:"guard_end,omitempty"`
	Role       string `json:"role"`
	FirstFrame int    `json:"first_frame"`
	LastFrame  int    `json:"last_frame"`
	BytesUsed  uint64 `json:"bytes_used"`
}

// Switch is the frame where the stack pointer moved to another mapping:
// the outermost frame of the inner segment's caller side.
type Switch struct {
	Frame    int    `json:"frame"`
	Function string `json:"function"`
	// Direction is where the callee's stack lies relative to the
	// caller's: "down" (lower addresses, as for any call) or "up" (the
	// new segment lies above the old stack, so stack addresses go up at
	// the call, as in the Oxide rustc core).
	Direction string `json:"direction"`
}

// diagnoseStackSegments reports every thread whose frames cross from one
// stack mapping to another (ignoring a signal handler's own stack).
func (a *analysis) diagnoseStackSegments() []Diagnosis {
	var out []Diagnosis
	c := a.s.Core
	for ti, st := range a.stacks {
		frames := st.Frames
		first := 0
		for i, f := range frames {
			if f.Signal {
				first = i + 1
			}
		}
		var segs []Segment
		var switches []Switch
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
					switches = append(switches, Switch{Frame: i, Function: a.report.Threads[ti].Frames[i].Function, Direction: dir})
				}
				seg := Segment{Start: Addr(m.Start), End: Addr(m.End), Role: a.mm.role(m), FirstFrame: i}
				if g := a.mm.below(m); g != nil && g.Perm == 0 {
					seg.GuardStart, seg.GuardEnd = Addr(g.Start), Addr(g.End)
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
		d := Diagnosis{Kind: "stack-segments", Thread: tid, StackSegments: &StackSegments{Segments: segs, Switches: switches}}
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
