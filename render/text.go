package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/coreview/coreview/report"
)

// TextOptions tune the text report.
type TextOptions struct {
	// Threads selects which threads to print: "all" (default), "crashed",
	// or a thread id.
	Threads string
	// NoCollapse prints every frame of a recursion.
	NoCollapse bool
	// Registers prints every thread's registers, not only the crashed
	// thread's.
	Registers bool
}

// Text writes the report for a person: the process and signal, the
// crashed thread first, then the other threads, then warnings.
func Text(w io.Writer, r *report.Report, o TextOptions) error {
	bw := &errWriter{w: w}
	p := r.Process
	bw.printf("core     %s\n", r.Core)
	bw.printf("process  %d", p.PID)
	if len(p.Args) > 0 {
		bw.printf("  %s", strings.Join(p.Args, " "))
	}
	bw.printf("\n")
	if p.Exe != "" {
		bw.printf("exe      %s\n", p.Exe)
	}
	if sd := r.SystemdRecord().Line(); sd != "" {
		bw.printf("systemd  %s\n", sd)
	}
	if sg := r.Signal; sg != nil {
		bw.printf("signal   %s (%s", sg.Name, sg.CodeName)
		if m := report.CodeMeaningFrom(sg.CodeName, sg.SenderPID, p.PID); m != "" {
			bw.printf(": %s", m)
		}
		bw.printf(")")
		if len(r.Threads) > 0 {
			bw.printf(" in thread %d", sg.Thread)
		}
		if sg.SenderPID != 0 {
			bw.printf(", sent by pid %d", sg.SenderPID)
		}
		bw.printf("\n")
		if l := addressLine(sg, func(a uint64) string { return fmt.Sprintf("%#x", a) }); l != "" {
			bw.printf("address  %s\n", l)
		}
	}
	// A wrong binary makes every frame in it a guess: say so before
	// anything that rests on it, not only among the warnings.
	for _, m := range r.Modules {
		switch m.Status {
		case report.StatusMismatch:
			bw.printf("mismatch %s is not the file the process mapped as %s: its frames are unreliable\n", m.File, m.Path)
		case report.StatusUnchecked:
			bw.printf("unchecked %s, for %s, could not be checked against the core: %s\n", m.File, m.Path, m.StatusDetail)
		}
	}
	for _, l := range systemLines(r) {
		bw.printf("%s\n", l)
	}
	bw.printf("threads  %d\n", len(r.Threads))
	switch {
	case r.Snapshot:
		bw.printf("snapshot a core of a running process (gcore or a similar writer): no thread was handling a signal, so there is no crash to diagnose; the threads are as they were  [%s]\n", r.SignatureHash)
	case r.Signature != "":
		bw.printf("crash    %s  [%s]\n", r.Signature, r.SignatureHash)
	}
	for _, d := range r.Diagnosis {
		bw.printf("\n%s\n", d.Summary)
		for _, e := range d.Explanation {
			bw.printf("  %s\n", e)
		}
		for _, h := range d.Hints() {
			bw.printf("  hint: %s\n", h)
		}
	}
	if pic := StackPicture(r); pic != nil {
		bw.printf("\nthe crashed thread's stacks:\n")
		for _, l := range pic {
			bw.printf("  %s\n", l)
		}
	}
	for i := range r.Inputs {
		if !r.Inputs[i].Shown(overflowed(r)) {
			continue
		}
		bw.printf("\n%s `%s`\n", r.Inputs[i].Words(recursing(r)), r.Inputs[i].Excerpt)
	}
	if t := r.CrashedThread(); t != nil {
		if len(t.Registers) > 0 {
			bw.printf("\nregisters (thread %d):\n", t.TID)
			writeRegisters(bw, "  ", t.Registers)
		}
		if len(t.Disassembly) > 0 {
			bw.printf("\n%s:\n", listingTitle(t))
			writeListing(bw, "  ", t)
		}
	}
	ordered := make([]*report.Thread, 0, len(r.Threads))
	for i := range r.Threads {
		if r.Threads[i].Crashed {
			ordered = append(ordered, &r.Threads[i])
		}
	}
	for i := range r.Threads {
		if !r.Threads[i].Crashed {
			ordered = append(ordered, &r.Threads[i])
		}
	}
	for _, t := range ordered {
		if !o.selects(t) {
			continue
		}
		bw.printf("\n")
		writeThread(bw, t, !o.NoCollapse)
		if o.Registers && len(t.Registers) > 0 {
			bw.printf("  registers:\n")
			writeRegisters(bw, "    ", t.Registers)
		}
	}
	if len(r.Warnings) > 0 {
		bw.printf("\nwarnings:\n")
		for _, wn := range r.Warnings {
			bw.printf("  - %s\n", wn)
		}
	}
	return bw.err
}

// addressLine is the signal's address and what it lies in, the address
// written by addr; or, for a signal the kernel gave no address, why.
func addressLine(sg *report.Signal, addr func(uint64) string) string {
	switch {
	case sg.Address != nil && sg.Where != "":
		return addr(uint64(*sg.Address)) + " " + sg.Where
	case sg.Address != nil:
		return addr(uint64(*sg.Address))
	}
	return sg.Where
}

func (o TextOptions) selects(t *report.Thread) bool {
	switch o.Threads {
	case "", "all":
		return true
	case "crashed":
		return t.Crashed
	}
	return o.Threads == fmt.Sprint(t.TID)
}

// minRun is the shortest run of one function that is collapsed into a line.
const minRun = 4

func writeThread(bw *errWriter, t *report.Thread, collapse bool) {
	state := ""
	if t.Crashed {
		state = " (crashed)"
	}
	bw.printf("thread %d%s: %s, %s\n", t.TID, state, frameCount(t), t.EndReason)
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	writeFrames(tw, t, collapse)
	tw.Flush()
	if t.EndDetail != "" && t.EndReason != "end of stack" {
		bw.printf("  (walk ended: %s: %s)\n", t.EndReason, t.EndDetail)
	}
}

// writeFrames prints a thread's frames, collapsing runs of one function
// into their first and last frames and a count, and says how many frames
// --max-frames left out.
func writeFrames(tw io.Writer, t *report.Thread, collapse bool) {
	if t.FramesOmitted > 0 {
		defer fprintf(tw, "  … %d more frames (#%d–#%d) not shown (--max-frames)\n",
			t.FramesOmitted, len(t.Frames), t.TotalFrames()-1)
	}
	for i := 0; i < len(t.Frames); i++ {
		f := &t.Frames[i]
		j := i
		if collapse && f.Function != "" {
			for j+1 < len(t.Frames) && t.Frames[j+1].Function == f.Function {
				j++
			}
		}
		if j-i+1 >= minRun {
			writeFrame(tw, f)
			fprintf(tw, "  #%d–#%d\t\t%s ×%d\n", i+1, j-1, f.Function, j-i-1)
			writeFrame(tw, &t.Frames[j])
			i = j
			continue
		}
		writeFrame(tw, f)
	}
}

// writeFrame prints one frame the way gdb users read them: number, PC,
// function+offset and module. How the frame was found is shown only when it
// is not plain CFI, so the frames worth doubting stand out.
func writeFrame(w io.Writer, f *report.Frame) {
	for i := range f.Inlined {
		in := &f.Inlined[i]
		if in.Method == report.MethodTailCall {
			// A function that left by a tail call: its own PC, after
			// the jump, as gdb prints "(tail call)" frames.
			name := nameOr(in.Function, "??")
			if in.Module != "" {
				name += " (" + in.Module + ")"
			}
			fprintf(w, "  #%d\t%#016x\t%s (tail call)%s\n", in.Index, uint64(in.PC), name, sourceSuffix(in))
			continue
		}
		fprintf(w, "  #%d\t%#016x\t%s (inlined)%s\n", in.Index, uint64(in.PC), nameOr(in.Function, "??"), sourceSuffix(in))
	}
	if f.Signal {
		fprintf(w, "  #%d\t%#016x\t<signal handler called>\n", f.Index, uint64(f.PC))
		return
	}
	name := frameName(f)
	switch f.Method {
	case report.MethodCFI, report.MethodContext:
	case report.MethodSignal:
		name += "  [interrupted by the signal]"
	case report.MethodGoroutine:
		name += "  [the goroutine's stack: runtime.systemstack switched from it]"
	default:
		name += "  [found by " + string(f.Method) + "]"
	}
	if f.Unreliable {
		name += "  [unreliable: the file does not match the core]"
	}
	fprintf(w, "  #%d\t%#016x\t%s%s\n", f.Index, uint64(f.PC), name, sourceSuffix(f))
}

// sourceSuffix is gdb's " at file:line" for a frame with a source position.
// The text shortens paths of Rust's own library, which rustc records under
// /rustc/<commit hash>/ (JSON keeps them whole).
func sourceSuffix(f *report.Frame) string {
	if f.File == "" || f.Line == 0 {
		return ""
	}
	return fmt.Sprintf(" at %s:%d", shortSourcePath(f.File), f.Line)
}

func shortSourcePath(p string) string {
	const rustc = "/rustc/"
	if strings.HasPrefix(p, rustc) {
		rest := p[len(rustc):]
		if i := strings.IndexByte(rest, '/'); i == 40 {
			return rest[i+1:]
		}
	}
	return p
}

// frameName is a frame's function+offset and module, or module+offset, or
// "??".
func frameName(f *report.Frame) string {
	name := "??"
	switch {
	case f.Function != "":
		name = fmt.Sprintf("%s+%#x", f.Function, f.Offset)
	case f.Module != "":
		name = fmt.Sprintf("%s+%#x", f.Module, uint64(f.ModuleOffset))
	}
	if f.Module != "" && f.Function != "" {
		name += " (" + f.Module + ")"
	}
	return name
}
