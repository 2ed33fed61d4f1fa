package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/coreview/coreview/report"
)

// A stack picture draws the crashed thread's stacks as the address space
// lays them out, high addresses first (the way a stack grows, down the
// page): each stack mapping and its guard with their ranges and sizes,
// where the stack pointer and the fault are, where psm switched onto a
// stacker segment, and how many frames and bytes of which functions fill
// each stack. It is drawn from the report's facts alone, so the text,
// Markdown and HTML reports show the same picture.

// pictureBlock is one mapping in the picture.
type pictureBlock struct {
	start, end report.Addr
	label      string
	guard      bool
	notes      []string
	marks      []pictureMark
}

// pictureMark is an address the picture points at inside a block.
type pictureMark struct {
	addr  report.Addr
	fault bool // the fault; else the stack pointer
}

// pictureFunctions is how many functions a stack's line names.
const pictureFunctions = 3

// StackPicture returns the crashed thread's stacks as lines of a diagram,
// or nil when no stack diagnosis describes them.
func StackPicture(r *report.Report) []string {
	blocks := stackBlocks(r)
	if blocks == nil {
		return nil
	}
	return drawBlocks(blocks)
}

// stackBlocks lays out the crashed thread's stacks, high addresses first,
// with what each holds; nil when no stack diagnosis describes them.
func stackBlocks(r *report.Report) []pictureBlock {
	var so *report.StackOverflow
	var segs *report.StackSegments
	tid := 0
	for _, d := range r.Diagnosis {
		switch {
		case d.StackOverflow != nil && so == nil:
			so, tid = d.StackOverflow, d.Thread
		case d.StackSegments != nil && segs == nil:
			segs = d.StackSegments
			if tid == 0 {
				tid = d.Thread
			}
		}
	}
	if so == nil && segs == nil {
		return nil
	}
	var t *report.Thread
	for i := range r.Threads {
		if r.Threads[i].TID == tid || tid == 0 && r.Threads[i].Crashed {
			t = &r.Threads[i]
		}
	}
	var blocks []pictureBlock
	addStack := func(start, end, gStart, gEnd report.Addr, what string, gap bool) {
		if end <= start {
			return // a diagnosis without its stack's extent: nothing to draw
		}
		blocks = append(blocks, pictureBlock{start: start, end: end, label: what})
		switch {
		case gap && gEnd > gStart:
			blocks = append(blocks, pictureBlock{start: gStart, end: gEnd, guard: true, label: "stack guard gap (unmapped)"})
		case gEnd > gStart:
			blocks = append(blocks, pictureBlock{start: gStart, end: gEnd, guard: true, label: "guard page"})
		}
	}
	if segs != nil {
		for _, s := range segs.Segments {
			addStack(s.Start, s.End, s.GuardStart, s.GuardEnd, roleWords(s.Role), false)
		}
	} else {
		addStack(so.Stack.Start, so.Stack.End, so.Stack.GuardStart, so.Stack.GuardEnd, string(so.Stack.Kind)+" stack", so.Stack.Gap)
	}
	if len(blocks) == 0 {
		return nil
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i].end > blocks[j].end })
	in := func(a report.Addr) int {
		for i, b := range blocks {
			if a >= b.start && a < b.end {
				return i
			}
		}
		return -1
	}
	// Which frames fill each stack.
	if t != nil {
		usage := make([]map[string]*frameRun, len(blocks))
		for i := range t.Frames {
			f := &t.Frames[i]
			b := in(f.SP)
			if b < 0 || blocks[b].guard {
				continue // the faulting frame's own line says it
			}
			if usage[b] == nil {
				usage[b] = map[string]*frameRun{}
			}
			name := nameOr(f.Function, "??")
			u := usage[b][name]
			if u == nil {
				u = &frameRun{name: name, first: f.Index}
				usage[b][name] = u
			}
			u.frames++
			u.last = f.Index
			if f.CFA > f.SP && in(f.CFA-1) == b {
				u.bytes += uint64(f.CFA - f.SP)
			}
		}
		for b, m := range usage {
			if m == nil {
				continue
			}
			blocks[b].notes = append(blocks[b].notes, framesLine(m))
		}
	}
	if so != nil {
		if b := in(so.SP); b >= 0 {
			note := fmt.Sprintf("◀ sp %#x", uint64(so.SP))
			if t != nil && len(t.Frames) > 0 && t.Frames[0].SP == so.SP {
				note += fmt.Sprintf(", frame #0 %s", nameOr(t.Frames[0].Function, "??"))
			}
			blocks[b].notes = append(blocks[b].notes, note)
			blocks[b].marks = append(blocks[b].marks, pictureMark{addr: so.SP})
		}
		if b := in(so.FaultAddress); b >= 0 {
			note := fmt.Sprintf("✗ fault %#x", uint64(so.FaultAddress))
			switch {
			case so.Frame.Function == "" || so.Frame.Size <= 0:
			case so.Remaining >= so.Frame.Size && so.FaultAddress < so.SP:
				// The frame fit; what faulted went below it.
				note += fmt.Sprintf(": %s's frame (%s) fit, the fault is %s below its stack pointer", so.Frame.Function, report.Distance(uint64(so.Frame.Size)), report.Distance(uint64(so.SP-so.FaultAddress)))
			default:
				note += fmt.Sprintf(": %s needed %s, %s were left", so.Frame.Function, report.Distance(uint64(so.Frame.Size)), report.Distance(uint64(max(so.Remaining, 0))))
			}
			blocks[b].notes = append(blocks[b].notes, note)
			blocks[b].marks = append(blocks[b].marks, pictureMark{addr: so.FaultAddress, fault: true})
		}
	}
	if segs != nil && t != nil {
		for _, sw := range segs.Switches {
			if sw.Frame < 1 || sw.Frame >= len(t.Frames) {
				continue
			}
			// The switch frame runs on the old stack; the frame it
			// called, on the new one.
			callee := &t.Frames[sw.Frame-1]
			if b := in(callee.SP); b >= 0 {
				blocks[b].notes = append(blocks[b].notes, fmt.Sprintf("↑ #%d %s runs on this stack, called from #%d %s on another: the stack pointer was switched between them",
					callee.Index, nameOr(callee.Function, "??"), sw.Frame, sw.Function))
			}
		}
	}
	return blocks
}

type frameRun struct {
	name        string
	frames      int
	bytes       uint64
	first, last int
}

// framesLine says how many frames and bytes fill a stack and which
// functions take the most: "3,123 frames, 1.0 MiB: segstack::parse_expr
// ×3,121 (1.0 MiB), rust_psm_on_stack (32 bytes)".
func framesLine(m map[string]*frameRun) string {
	var runs []*frameRun
	frames, bytes := 0, uint64(0)
	for _, u := range m {
		runs = append(runs, u)
		frames += u.frames
		bytes += u.bytes
	}
	sort.Slice(runs, func(i, j int) bool {
		if runs[i].bytes != runs[j].bytes {
			return runs[i].bytes > runs[j].bytes
		}
		return runs[i].first < runs[j].first
	})
	var parts []string
	for i, u := range runs {
		if i == pictureFunctions {
			parts = append(parts, fmt.Sprintf("%d more", len(runs)-i))
			break
		}
		p := u.name
		if u.frames > 1 {
			p += " ×" + report.Commas(u.frames)
		}
		if u.bytes > 0 {
			p += " (" + report.Distance(u.bytes) + ")"
		}
		parts = append(parts, p)
	}
	n := "1 frame"
	if frames != 1 {
		n = report.Commas(frames) + " frames"
	}
	return fmt.Sprintf("%s, %s: %s", n, report.Distance(bytes), strings.Join(parts, ", "))
}

// roleWords names a stack mapping's role for the picture.
func roleWords(role report.Role) string {
	switch role {
	case report.RoleMainStack:
		return "main stack"
	case report.RoleStackSegment:
		return "stack segment"
	case report.RoleSigaltstack:
		return "signal stack"
	case report.RoleStack:
		return "thread stack"
	}
	return string(role)
}

// drawBlocks lays the blocks out from high to low addresses: each block's
// top address and label, its notes, and the bottom address where the next
// block does not start.
func drawBlocks(blocks []pictureBlock) []string {
	var out []string
	width := 0
	for _, b := range blocks {
		width = max(width, len(fmt.Sprintf("%#x", uint64(b.end))), len(fmt.Sprintf("%#x", uint64(b.start))))
	}
	pad := strings.Repeat(" ", width)
	out = append(out, pad+"   high addresses")
	for i, b := range blocks {
		corner := "┬"
		if i > 0 && blocks[i-1].start == b.end {
			corner = "┼"
		} else if i > 0 {
			out = append(out, fmt.Sprintf("%*s ┴", width, fmt.Sprintf("%#x", uint64(blocks[i-1].start))))
			out = append(out, fmt.Sprintf("%s ⋮  %s not drawn", pad, report.Distance(uint64(blocks[i-1].start-b.end))))
		}
		out = append(out, fmt.Sprintf("%*s %s─ %s, %s", width, fmt.Sprintf("%#x", uint64(b.end)), corner, b.label, humanSize(uint64(b.end-b.start))))
		bar := "│"
		if b.guard {
			bar = "░"
		}
		for _, n := range b.notes {
			out = append(out, fmt.Sprintf("%s %s  %s", pad, bar, n))
		}
	}
	if len(blocks) > 0 {
		out = append(out, fmt.Sprintf("%*s ┴", width, fmt.Sprintf("%#x", uint64(blocks[len(blocks)-1].start))))
	}
	out = append(out, pad+"   low addresses")
	return out
}
