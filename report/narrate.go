package report

import (
	"fmt"
	"strings"
)

// Each detail type writes its own sentences from its facts (Explain), and
// says what to do about the crash (Advice): a renderer prints a
// diagnosis's summary, explanation and hints without knowing its kind.

// Detail is the kind-specific part of a diagnosis, one of the structs a
// Diagnosis embeds.
type Detail interface {
	// Advice is what a person can do about the crash: nil when the
	// detail has nothing to suggest.
	Advice() []string
}

// Detail returns the diagnosis's detail, the one embedded struct that is
// set, or nil.
func (d *Diagnosis) Detail() Detail {
	switch {
	case d.StackOverflow != nil:
		return d.StackOverflow
	case d.StackSegments != nil:
		return d.StackSegments
	case d.ControlFlow != nil:
		return d.ControlFlow
	case d.Access != nil:
		return d.Access
	case d.AbortInfo != nil:
		return d.AbortInfo
	case d.Unrelocated != nil:
		return d.Unrelocated
	case d.EarlyInit != nil:
		return d.EarlyInit
	case d.Killed != nil:
		return d.Killed
	}
	return nil
}

// Hints is the diagnosis's advice, whatever its kind.
func (d *Diagnosis) Hints() []string {
	if det := d.Detail(); det != nil {
		return det.Advice()
	}
	return nil
}

// Advice is the overflow's hints: how to give the thread more stack, or
// to bound the recursion.
func (so *StackOverflow) Advice() []string { return so.Hints }

// Advice is nil: the segments are facts for the overflow's diagnosis.
func (*StackSegments) Advice() []string { return nil }

// Advice is nil: who sent the signal, and when, is the whole story.
func (*Killed) Advice() []string { return nil }

// Advice is nil: the slot and the call say where the bad pointer came from.
func (*ControlFlow) Advice() []string { return nil }

// Advice is nil: the instruction and the address are the whole story.
func (*Access) Advice() []string { return nil }

// Advice is nil: the abort's cause and message say what failed.
func (*AbortInfo) Advice() []string { return nil }

// Advice is nil: the explanation already says which loader fix-ups were
// missing.
func (*Unrelocated) Advice() []string { return nil }

// Advice is nil.
func (*EarlyInit) Advice() []string { return nil }

// Explain writes the stack-overflow diagnosis of thread tid in words, with
// the numbers behind it.
func (so *StackOverflow) Explain(tid int) (string, []string) {
	end := so.Segment.End(so.Stack)
	size := end - uint64(so.Stack.Start)
	var b strings.Builder
	what := map[StackKind]string{StackThread: "stack", StackMain: "main stack", StackSegment: "stack segment", StackSigaltstack: "signal stack"}[so.Stack.Kind]
	fmt.Fprintf(&b, "Thread %d ran out of stack: its %s %s [%#x–%#x)", tid, HumanBytes(size), what, uint64(so.Stack.Start), end)
	if end != uint64(so.Stack.End) {
		fmt.Fprintf(&b, " (in a %s RW mapping [%#x–%#x) the kernel merged with its neighbour)", HumanBytes(uint64(so.Stack.End-so.Stack.Start)), uint64(so.Stack.Start), uint64(so.Stack.End))
	}
	if so.Stack.Gap {
		fmt.Fprintf(&b, " has no room below it, and the fault at %#x is %s below its lowest byte, in the unmapped gap [%#x–%#x) below it.",
			uint64(so.FaultAddress), Distance(uint64(so.Stack.Start-so.FaultAddress)), uint64(so.Stack.GuardStart), uint64(so.Stack.GuardEnd))
	} else {
		fmt.Fprintf(&b, " has a %s guard page at [%#x–%#x), and the fault at %#x is inside it.",
			HumanBytes(uint64(so.Stack.GuardEnd-so.Stack.GuardStart)), uint64(so.Stack.GuardStart), uint64(so.Stack.GuardEnd), uint64(so.FaultAddress))
	}
	var more []string
	if so.Stack.Kind == StackMain && so.Stack.Gap {
		where := "the fault fell in that gap"
		if so.FaultAddress < so.Stack.GuardStart {
			// stackOf accepts a fault a little below the gap: a frame
			// larger than the gap stepped over it.
			where = fmt.Sprintf("the fault is %s below even that gap", Distance(uint64(so.Stack.GuardStart-so.FaultAddress)))
		}
		gap := fmt.Sprintf("The kernel keeps a %s gap (stack_guard_gap, %d pages) below the main stack, [%#x–%#x) here, and grows the stack down on demand only up to RLIMIT_STACK (ulimit -s); this stack could grow no further, and %s.",
			HumanBytes(StackGuardGap), StackGuardGap/4096, uint64(so.Stack.GuardStart), uint64(so.Stack.GuardEnd), where)
		if g := uint64(so.Stack.GuardEnd - so.Stack.GuardStart); g < StackGuardGap {
			gap += fmt.Sprintf(" The next mapping below starts only %s under the stack, which bounds the gap.", HumanBytes(g))
		}
		more = append(more, gap)
	}
	if sg := so.Segment; sg != nil {
		more = append(more, sg.Explain(so.Stack))
	}
	if so.Frame.Size > 0 && so.Remaining != 0 {
		left := so.Remaining
		if left < 0 {
			left = 0
		}
		sp := fmt.Sprintf("%s bytes above the stack's lowest byte", Commas(int(int64(so.SP)-int64(so.Stack.Start))))
		switch {
		case so.SP < so.Stack.Start:
			sp = fmt.Sprintf("already %s bytes below the stack's lowest byte", Commas(int(so.Stack.Start-so.SP)))
		case so.SP == so.Stack.Start:
			// Its pushes so far used what was left: the next one faults.
			sp = "at the stack's lowest byte"
		}
		size := Commas(int(so.Frame.Size))
		if left >= so.Frame.Size && so.FaultAddress < so.SP {
			// The frame itself fit: what faulted went below it (the
			// return address of a call it made, a push, a probe).
			what := ""
			if so.SP-so.FaultAddress <= 8 {
				what = ": a push or a call of its own"
			}
			more = append(more, fmt.Sprintf("%s's %s-byte frame fit in the %s bytes left; the fault at %#x is %s bytes below its stack pointer %#x (%s)%s.",
				so.Frame.Function, size, Commas(int(left)), uint64(so.FaultAddress), Commas(int(so.SP-so.FaultAddress)), uint64(so.SP), sp, what))
		} else {
			more = append(more, fmt.Sprintf("%s needed %s %s-byte frame with only %s bytes left (its stack pointer %#x is %s).",
				so.Frame.Function, article(size), size, Commas(int(left)), uint64(so.SP), sp))
		}
	} else {
		more = append(more, fmt.Sprintf("The faulting function is %s (stack pointer %#x).", so.Frame.Function, uint64(so.SP)))
	}
	depth := fmt.Sprintf("%s frames deep", Commas(so.Depth))
	if len(so.Recursion) > 0 {
		r := so.Recursion[0]
		depth += fmt.Sprintf(": %s recursed %s times, %s bytes each (%s)", r.Function, Commas(r.Frames), Commas(int(r.Each)), HumanBytes(r.Bytes))
	}
	more = append(more, depth+".")
	if so.Handler != "" {
		more = append(more, "The process died of the fault only indirectly: "+so.Handler+".")
	}
	if so.Stacker != nil {
		more = append(more, so.Stacker.Explain(so, tid))
	}
	return b.String(), more
}

// Explain says where the segment ends by the frames' evidence and, for a
// stacker segment, what size was requested.
func (sg *SegmentExtent) Explain(st StackExtent) string {
	name := nameOr(sg.SwitchFunction, "??")
	if sg.Pages == 0 {
		return fmt.Sprintf("At #%d (%s) the thread's stack pointer moved onto this mapping; its frames use it up to %#x.", sg.SwitchFrame, name, uint64(sg.Top))
	}
	s := fmt.Sprintf("The segment is %d pages with its guard: psm switched the stack pointer to the segment's top at #%d (%s), %s above the guard page, and stacker maps the requested size rounded up to pages plus 2 pages (%d pages = %s requested + 2), PROT_NONE at the low end.",
		sg.Pages, sg.SwitchFrame, name, HumanBytes(uint64(sg.Top-st.GuardEnd)), sg.Pages, HumanBytes(sg.Requested))
	if sg.MappingExtra > 0 {
		s += fmt.Sprintf(" The kernel merged stacker's %d RW pages with the anonymous RW mapping above them (%s) into one %d-page mapping [%#x–%#x), so the mapping's size does not tell the request.",
			sg.Pages-1, HumanBytes(sg.MappingExtra), uint64(st.End-st.Start)/4096, uint64(st.Start), uint64(st.End))
	}
	return s
}

// Summary writes the one-line diagnosis of thread tid's jump to a bad PC,
// of kind null-call, bad-pc or exec-non-exec; u is the unrelocated
// pointer the PC is, when it is one.
func (cf *ControlFlow) Summary(kind Kind, tid int, u *Unrelocated) string {
	pc := uint64(cf.PC)
	caller := "an unknown caller"
	if cf.Caller != nil {
		caller = fmt.Sprintf("%s (#1, %s)", cf.Caller.Function, nameOr(cf.Caller.Module, "?"))
	}
	switch {
	case u != nil:
		return fmt.Sprintf("Thread %d jumped to %#x, where nothing is mapped: %s called the unrelocated pointer above, %s's link-time address of %s, instead of %#x.",
			tid, pc, caller, BaseName(u.Module), nameOr(u.Symbol, u.Section), uint64(u.Resolves))
	case kind == KindNullCall:
		s := fmt.Sprintf("Thread %d called a null function pointer: %s jumped to %#x.", tid, caller, pc)
		if pc != 0 {
			s = strings.TrimSuffix(s, ".") + fmt.Sprintf(" (null + %#x: a function pointer read from a field of a null struct pointer, or an offset used as a pointer).", pc)
		}
		return s
	case kind == KindExecNonExec:
		return fmt.Sprintf("Thread %d executed data: %s jumped to %#x, in %s, which is not executable (%s): a function pointer that points at data.", tid, caller, pc, cf.Target, cf.TargetPerms)
	}
	return fmt.Sprintf("Thread %d jumped to %#x, where nothing is mapped: code that is no longer mapped (as after dlclose) or a stale function pointer. The jump came from %s.", tid, pc, caller)
}

// Explain writes the facts of a jump to a bad PC in words: the call, the
// register and what loaded it, the slot the target came from.
func (cf *ControlFlow) Explain() []string {
	var out []string
	if cf.Call != "" {
		out = append(out, fmt.Sprintf("The call at %#x was `%s`.", uint64(cf.CallSite), cf.Call))
	}
	if cf.Register != "" {
		line := "It called through a register: " + cf.Register
		if cf.LoadedBy != "" {
			line += ", loaded by " + cf.LoadedBy
		}
		out = append(out, line+".")
	}
	if s := cf.Slot; s != nil {
		line := fmt.Sprintf("It loaded the target from %#x", uint64(s.Address))
		if s.Section != "" {
			line += fmt.Sprintf(", %s in %s", s.SectionWords(), BaseName(s.Module))
		}
		line += fmt.Sprintf(" (%s), which holds %#x", s.Where, uint64(s.Value))
		if s.Object != "" {
			line += "; that word is " + s.Object
		}
		out = append(out, line+".")
		if r := s.Relocation; r != nil {
			rl := fmt.Sprintf("The slot is written at load time by the %s relocation in %s of %s", r.Type, r.Section, r.Module)
			if r.Symbol != "" {
				rl += " for " + r.Symbol
			}
			out = append(out, rl+".")
		}
	}
	return out
}

// SectionWords names the kind of slot its section makes it: "a GOT slot
// (.got)", "an entry of .init_array", "a word of .data".
func (s *Slot) SectionWords() string {
	switch s.Section {
	case ".got", ".got.plt":
		return "a GOT slot (" + s.Section + ")"
	case ".init_array", ".fini_array", ".preinit_array", ".ctors", ".dtors":
		return "an entry of " + s.Section
	}
	return "a word of " + s.Section
}

// BaseName is the last element of a path (a module's file name).
func BaseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// Explain writes thread tid's stack segments in words: one line per
// segment, then one per switch, saying where the frames it calls run and,
// for stacker's, how stacker made the segment.
func (ss *StackSegments) Explain(tid int) (string, []string) {
	// A thread of a deep stacker recursion runs on hundreds of segments:
	// the lines are bounded like any list (boundedLines).
	var more, swLines []string
	summary := fmt.Sprintf("Thread %d runs on %d stacks: its frames switch mappings %d time(s).", tid, len(ss.Segments), len(ss.Switches))
	for _, sg := range ss.Segments {
		line := fmt.Sprintf("frames #%d–#%d on %s [%#x–%#x) (%s), %s used", sg.FirstFrame, sg.LastFrame,
			sg.Role, uint64(sg.Start), uint64(sg.End), HumanBytes(uint64(sg.End-sg.Start)), HumanBytes(sg.BytesUsed))
		if sg.GuardEnd != 0 {
			line += fmt.Sprintf(", guard page [%#x–%#x)", uint64(sg.GuardStart), uint64(sg.GuardEnd))
		}
		more = append(more, line)
	}
	for _, sw := range ss.Switches {
		name := sw.Function
		if name == "" {
			name = "??"
		}
		from, to := ss.Segments[0], ss.Segments[0]
		for k := range ss.Segments {
			if ss.Segments[k].FirstFrame == sw.Frame {
				from, to = ss.Segments[k], ss.Segments[k-1]
			}
		}
		why := fmt.Sprintf("the frames it calls run on [%#x–%#x), %s below its own stack [%#x–%#x)",
			uint64(to.Start), uint64(to.End), Distance(uint64(from.Start-to.End)), uint64(from.Start), uint64(from.End))
		if sw.Direction == "up" {
			why = fmt.Sprintf("the frames it calls run on [%#x–%#x), %s *above* its own stack [%#x–%#x): stack addresses go up at this call instead of down",
				uint64(to.Start), uint64(to.End), Distance(uint64(to.Start-from.End)), uint64(from.Start), uint64(from.End))
		}
		line := fmt.Sprintf("at #%d (%s) the stack switches: %s", sw.Frame, name, why)
		if sw.Stacker {
			line += "; stacker allocated a new segment (an mmap of the requested size + 2 pages, PROT_NONE at the low end) and psm moved the stack pointer onto it. stacker::grow always does this; stacker::maybe_grow does it when less than its red zone is left, and always where stacker cannot see the stack's limit (as on illumos in the Oxide rustc story)."
		}
		swLines = append(swLines, line)
	}
	return summary, append(boundedLines(more, "stacks"), boundedLines(swLines, "stack switches")...)
}

// Explain writes the early-init diagnosis of thread tid in words: the
// start-up path it was on, the constructor it was running, and the
// executable's link facts.
func (ei *EarlyInit) Explain(tid int) (string, []string) {
	var more []string
	summary := fmt.Sprintf("The crash happened before main: thread %d was still in start-up code (%s).", tid, boundedList(ei.Path, " → "))
	if ei.Initializer != "" {
		summary = fmt.Sprintf("The crash happened before main, in the constructor %s: thread %d was running initializers (%s).", ei.Initializer, tid, boundedList(ei.Path, " → "))
	}
	l := ei.Link
	if l.Type != "" {
		facts := fmt.Sprintf("The executable is %s", l.Type)
		if l.Interpreter != "" {
			facts += ", interpreter " + l.Interpreter
		} else {
			facts += ", no interpreter: it relocates itself"
		}
		if l.RELR {
			facts += ", with DT_RELR relocations"
		}
		if l.TLS {
			facts += fmt.Sprintf(", with a %d-byte TLS segment", l.TLSSize)
		}
		if l.Libc != "" {
			facts += ", C library " + l.Libc
		}
		more = append(more, facts+".")
	}
	return summary, more
}

// Explain writes the unrelocated-pointer diagnosis in words, plain ones
// first (what a relocation is), then the numbers; tid 0 is a core without
// threads, where only the fault address was unrelocated.
func (u *Unrelocated) Explain(tid int) (string, []string) {
	who := "The process"
	if tid != 0 {
		who = fmt.Sprintf("Thread %d", tid)
	}
	var more []string
	target := u.Symbol
	if target == "" {
		target = "section " + u.Section
	} else if u.Section != "" {
		target += " in " + u.Section
	}
	summary := fmt.Sprintf("%s used an unrelocated pointer: the %s %#x is a link-time address of %s; loaded at base %#x it should have been %#x (%s). A relocation was not applied.",
		who, u.Used, uint64(u.Pointer), u.Module, uint64(u.Base), uint64(u.Resolves), target)
	rc, l := u.Relocations, u.Link
	// In plain words first, for a reader who has never heard of
	// relocations or RELR; the numbers after.
	more = append(more, fmt.Sprintf("%s is position-independent: it is linked as if it were loaded at address 0, so the pointers it stores to its own code and data (function pointers, vtables, GOT slots, .init_array entries) hold addresses counted from 0. Whatever loads it must add the load address (here %#x) to each of them; these fix-ups are its relocations. One was not done, so the program used the address counted from 0.",
		BaseName(u.Module), uint64(u.Base)))
	if l.RELR {
		more = append(more, fmt.Sprintf("This program stores its relocations as DT_RELR (it was linked with -z pack-relative-relocs), a compact encoding that musl before 1.2.4 and glibc before 2.36 do not understand: with such a C library none of the pointers are fixed up, so the first one the program uses is a small number like %#x instead of an address, and it crashes there.", uint64(u.Pointer)))
	}
	if s := u.Slot; s != nil && s.Relocation != nil {
		from := fmt.Sprintf("%#x", uint64(s.Address))
		if s.Object != "" {
			from = fmt.Sprintf("%s (%#x)", s.Object, uint64(s.Address))
		}
		if s.Section != "" {
			from += ", " + s.SectionWords()
		}
		more = append(more, fmt.Sprintf("The pointer was loaded from %s, which the %s relocation in %s should have set to %#x: it still holds the link-time value.",
			from, s.Relocation.Type, s.Relocation.Section, uint64(u.Resolves)))
	}
	if rc.RELR > 0 {
		more = append(more, fmt.Sprintf("%d of the %d RELR relocations checked in %s were applied in memory: the rest still hold their link-time values.", rc.RELRApplied, rc.RELR, u.Module))
	}
	if rc.Relative > 0 {
		more = append(more, fmt.Sprintf("%d of the %d R_X86_64_RELATIVE relocations checked in .rela.dyn were applied.", rc.RelativeApply, rc.Relative))
	}
	facts := fmt.Sprintf("%s is a %s executable", u.Module, l.Type)
	if l.Interpreter != "" {
		facts += fmt.Sprintf(" (interpreter %s)", l.Interpreter)
	}
	if l.RELR {
		facts += " with DT_RELR, packed relative relocations (linked with -z pack-relative-relocs)"
	}
	if l.Libc != "" {
		facts += "; its C library is " + l.Libc
	}
	more = append(more, facts+".")
	switch {
	case l.RELR && rc.RELR > 0 && rc.RELRApplied == 0:
		more = append(more, "None of its RELR relocations were applied: the code that relocates the program (the dynamic loader, or a static-pie's own start-up code) does not know DT_RELR. Relink without -z pack-relative-relocs, or use musl 1.2.4 or later, glibc 2.36 or later.")
	case rc.RELR == 0 && rc.Relative > 0 && rc.RelativeApply == 0 && l.Interpreter == "":
		more = append(more, "None of its relocations were applied: a static-pie relocates itself in its start-up code (glibc's _dl_relocate_static_pie, musl's _dlstart_c), and the crash happened before that ran, or in start-up code of its own that calls through pointers before relocating.")
	}
	return summary, more
}

// article is the indefinite article before a number as it is read: "an"
// before eight, eleven, eighteen, eighty…, eight hundred…
func article(number string) string {
	digits := strings.ReplaceAll(number, ",", "")
	switch {
	case strings.HasPrefix(digits, "8"):
		return "an"
	case digits == "11" || digits == "18":
		return "an"
	case len(digits)%3 == 2 && (strings.HasPrefix(digits, "11") || strings.HasPrefix(digits, "18")):
		// 11,000 and 18,500 are read "eleven thousand", "eighteen thousand".
		return "an"
	}
	return "a"
}
