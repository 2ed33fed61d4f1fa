package analyze

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the report as one JSON object on one line (pipe it to
// jq to read it). The threads, most of a report, are encoded by hand
// (FrameList) and spliced in where encoding/json wrote "threads":null:
// going through encoding/json, even as a json.Marshaler, would re-scan
// them. The key cannot occur elsewhere unescaped: inside strings its
// quotes are escaped, and no nested object has a "threads" field.
func (r *Report) WriteJSON(w io.Writer) error {
	shallow := *r
	shallow.Threads = nil
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&shallow); err != nil {
		return err
	}
	out := buf.Bytes()
	const key = `"threads":null`
	i := bytes.Index(out, []byte(key))
	if i < 0 || r.Threads == nil {
		_, err := w.Write(out)
		return err
	}
	threads := make([]byte, 0, 1<<16)
	threads = append(threads, `"threads":[`...)
	for k := range r.Threads {
		if k > 0 {
			threads = append(threads, ',')
		}
		threads = r.Threads[k].appendJSON(threads)
	}
	threads = append(threads, ']')
	for _, part := range [][]byte{out[:i], threads, out[i+len(key):]} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// TextOptions tune the text report.
type TextOptions struct {
	// Threads selects which threads to print: "all" (default), "crashed",
	// or a thread id.
	Threads string
	// NoCollapse prints every frame of a recursion.
	NoCollapse bool
}

// WriteText writes the report for a person: the process and signal, the
// crashed thread first, then the other threads, then warnings.
func (r *Report) WriteText(w io.Writer, o TextOptions) error {
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
	if sd := systemdLine(r.systemd()); sd != "" {
		bw.printf("systemd  %s\n", sd)
	}
	if sg := r.Signal; sg != nil {
		bw.printf("signal   %s (%s", sg.Name, sg.CodeName)
		if m := CodeMeaning(sg.CodeName); m != "" {
			bw.printf(": %s", m)
		}
		bw.printf(") in thread %d", sg.Thread)
		if sg.SenderPID != 0 {
			bw.printf(", sent by pid %d", sg.SenderPID)
		}
		bw.printf("\n")
		if l := sg.addressLine(func(a uint64) string { return fmt.Sprintf("%#x", a) }); l != "" {
			bw.printf("address  %s\n", l)
		}
	}
	// A wrong binary makes every frame in it a guess: say so before
	// anything that rests on it, not only among the warnings.
	for _, m := range r.Modules {
		if m.Status == "mismatch" {
			bw.printf("mismatch %s is not the file the process mapped as %s: its frames are unreliable\n", m.File, m.Path)
		}
	}
	bw.printf("threads  %d\n", len(r.Threads))
	if r.Signature != "" {
		bw.printf("crash    %s  [%s]\n", r.Signature, r.SignatureHash)
	}
	for _, d := range r.Diagnosis {
		bw.printf("\n%s\n", d.Summary)
		for _, e := range d.Explanation {
			bw.printf("  %s\n", e)
		}
		if d.StackOverflow != nil {
			for _, h := range d.StackOverflow.Hints {
				bw.printf("  hint: %s\n", h)
			}
		}
	}
	ordered := make([]*Thread, 0, len(r.Threads))
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
func (sg *Signal) addressLine(addr func(uint64) string) string {
	switch {
	case sg.Address != nil && sg.Where != "":
		return addr(uint64(*sg.Address)) + " " + sg.Where
	case sg.Address != nil:
		return addr(uint64(*sg.Address))
	}
	return sg.Where
}

func (o TextOptions) selects(t *Thread) bool {
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

func writeThread(bw *errWriter, t *Thread, collapse bool) {
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

// frameCount says how many frames a thread has, and how many are listed
// when --max-frames left some out.
func frameCount(t *Thread) string {
	if t.FramesOmitted > 0 {
		return fmt.Sprintf("%d frames (%d shown)", t.TotalFrames(), len(t.Frames))
	}
	return fmt.Sprintf("%d frames", len(t.Frames))
}

// writeFrames prints a thread's frames, collapsing runs of one function
// into their first and last frames and a count, and says how many frames
// --max-frames left out.
func writeFrames(tw io.Writer, t *Thread, collapse bool) {
	if t.FramesOmitted > 0 {
		defer fmt.Fprintf(tw, "  … %d more frames (#%d–#%d) not shown (--max-frames)\n",
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
			fmt.Fprintf(tw, "  #%d–#%d\t\t%s ×%d\n", i+1, j-1, f.Function, j-i-1)
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
func writeFrame(w io.Writer, f *Frame) {
	for i := range f.Inlined {
		in := &f.Inlined[i]
		fmt.Fprintf(w, "  #%d\t%#016x\t%s (inlined)%s\n", in.Index, uint64(in.PC), nameOr(in.Function, "??"), sourceSuffix(in))
	}
	if f.Signal {
		fmt.Fprintf(w, "  #%d\t%#016x\t<signal handler called>\n", f.Index, uint64(f.PC))
		return
	}
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
	switch f.Method {
	case "cfi", "context":
	case "signal":
		name += "  [interrupted by the signal]"
	default:
		name += "  [found by " + f.Method + "]"
	}
	if f.Unreliable {
		name += "  [unreliable: the file does not match the core]"
	}
	fmt.Fprintf(w, "  #%d\t%#016x\t%s%s\n", f.Index, uint64(f.PC), name, sourceSuffix(f))
}

// sourceSuffix is gdb's " at file:line" for a frame with a source position.
// The text shortens paths of Rust's own library, which rustc records under
// /rustc/<commit hash>/ (JSON keeps them whole).
func sourceSuffix(f *Frame) string {
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

// WriteMaps writes the mapping table like pmap: start, end, size, perms,
// role, owner, file and offset.
func (r *Report) WriteMaps(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "START\tEND\tSIZE\tPERM\tROLE\tOWNER\tFILE\tOFFSET\n")
	var cut int
	for _, m := range r.Mappings {
		owner := ""
		if m.Owner != 0 {
			owner = fmt.Sprint(m.Owner)
		}
		off := ""
		if m.File != "" {
			off = fmt.Sprintf("%#x", uint64(m.Offset))
		}
		dumped := ""
		if !m.Dumped {
			dumped = "*"
		}
		note := ""
		if m.TruncatedAt != nil {
			dumped, note = "!", fmt.Sprintf("\tcut at %#x", uint64(*m.TruncatedAt))
			cut++
		}
		fmt.Fprintf(tw, "%016x\t%016x\t%s\t%s%s\t%s\t%s\t%s\t%s%s\n", uint64(m.Start), uint64(m.End),
			humanSize(uint64(m.End-m.Start)), m.Perms, dumped, m.Role, owner, m.File, off, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	legend := "(* = bytes not in the core)\n"
	if cut > 0 {
		legend = "(* = bytes not in the core; ! = the core file is truncated: the mapping's bytes from its cut address on are lost)\n"
	}
	_, err := fmt.Fprint(w, legend)
	return err
}

func humanSize(n uint64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dG", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	}
	return fmt.Sprintf("%dK", n>>10)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
