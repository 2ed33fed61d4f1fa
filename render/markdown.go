package render

import (
	"io"
	"strings"
	"text/tabwriter"

	"github.com/coreview/coreview/report"
)

// Markdown writes the report for a bug tracker (GitHub, GitLab): a
// title line, the diagnoses with their numbers, the crashed thread's stack
// in a fenced block (recursion collapsed), the other threads and the
// memory map in collapsible sections, and the environment facts.
func Markdown(w io.Writer, r *report.Report) error {
	return MarkdownWith(w, r, MarkdownOptions{})
}

// MarkdownOptions tune the Markdown report.
type MarkdownOptions struct {
	// Registers adds every other thread's registers to its section.
	Registers bool
}

// MarkdownWith is Markdown with options.
func MarkdownWith(w io.Writer, r *report.Report, o MarkdownOptions) error {
	ew := &errWriter{w: w}
	crashed := r.CrashedThread()
	title := "Crash"
	if r.Snapshot {
		title = "Snapshot"
	}
	if r.Signal != nil {
		title = r.Signal.Name
	}
	if len(r.Diagnosis) > 0 {
		title += ": " + string(r.Diagnosis[0].Kind)
	}
	if top := r.MeaningfulFrames(1); len(top) > 0 {
		title += " in " + top[0]
	}
	ew.printf("## %s\n\n", EscapeMarkdown(title))
	if r.Signal != nil {
		ew.printf("**Signal:** %s (%s)", r.Signal.Name, r.Signal.CodeName)
		if len(r.Threads) > 0 {
			ew.printf(" in thread %d", r.Signal.Thread)
		}
		// The address is ours, in code; what it lies in names the core's
		// files, escaped.
		where := EscapeMarkdown(r.Signal.Where)
		switch {
		case r.Signal.Address != nil && where != "":
			ew.printf(" at `%#x` %s", uint64(*r.Signal.Address), where)
		case r.Signal.Address != nil:
			ew.printf(" at `%#x`", uint64(*r.Signal.Address))
		case where != "":
			ew.printf(", address %s", where)
		}
		ew.printf("  \n")
	}
	if sd := r.SystemdRecord().Line(); sd != "" {
		ew.printf("**systemd-coredump:** %s  \n", EscapeMarkdown(sd))
	}
	if r.Snapshot {
		ew.printf("**Snapshot:** a core of a running process (gcore or a similar writer): no thread was handling a signal, so there is no crash to diagnose.  \n")
	}
	ew.printf("**Signature:** `%s` (`%s`)\n\n", r.Signature, r.SignatureHash)
	for _, d := range r.Diagnosis {
		ew.printf("**%s** — %s\n", d.Kind, EscapeMarkdown(d.Summary))
		for _, e := range d.Explanation {
			ew.printf("- %s\n", EscapeMarkdown(e))
		}
		for _, h := range d.Hints() {
			ew.printf("- _Hint:_ %s\n", EscapeMarkdown(h))
		}
		ew.printf("\n")
	}
	for i := range r.Inputs {
		if !r.Inputs[i].Shown(overflowed(r)) {
			continue
		}
		ew.printf("%s\n\n", inputMarkdown(&r.Inputs[i], recursing(r)))
	}
	if crashed != nil && len(crashed.Registers) > 0 {
		ew.printf("<details><summary>Registers (thread %d)</summary>\n\n", crashed.TID)
		codeBlock(ew, func(w *errWriter) { writeRegisters(w, "", crashed.Registers) })
		ew.printf("\n</details>\n\n")
	}
	if crashed != nil && len(crashed.Disassembly) > 0 {
		title := listingTitle(crashed)
		ew.printf("**%s**\n\n", EscapeMarkdown(strings.ToUpper(title[:1])+title[1:]))
		codeBlock(ew, func(w *errWriter) { writeListing(w, "", crashed) })
		ew.printf("\n")
	}
	if crashed != nil {
		ew.printf("### Crashed thread %d (%s, %s)\n\n", crashed.TID, frameCount(crashed), crashed.EndReason)
		codeBlock(ew, func(w *errWriter) { writeThreadFrames(w, crashed, true) })
		ew.printf("\n")
	}
	if r.Snapshot && len(r.Threads) > 0 {
		// No thread crashed: the first is the one the writer stopped
		// first (gcore's current thread), shown as the crashed one is.
		crashed = &r.Threads[0]
		ew.printf("### Thread %d (%s, %s)\n\n", crashed.TID, frameCount(crashed), crashed.EndReason)
		codeBlock(ew, func(w *errWriter) { writeThreadFrames(w, crashed, true) })
		ew.printf("\n")
	}
	if len(r.Threads) > 1 {
		ew.printf("<details><summary>Other threads (%d)</summary>\n\n", len(r.Threads)-1)
		codeBlock(ew, func(w *errWriter) {
			for i := range r.Threads {
				if t := &r.Threads[i]; t != crashed {
					w.printf("thread %d: %s, %s\n", t.TID, frameCount(t), t.EndReason)
					writeThreadFrames(w, t, true)
					if o.Registers && len(t.Registers) > 0 {
						w.printf("registers:\n")
						writeRegisters(w, "  ", t.Registers)
					}
					w.printf("\n")
				}
			}
		})
		ew.printf("\n</details>\n\n")
	}
	ew.printf("<details><summary>Memory map (%d mappings)</summary>\n\n", len(r.Mappings))
	codeBlock(ew, func(w *errWriter) { Maps(w, r) })
	ew.printf("\n</details>\n\n")
	ew.printf("<details><summary>Environment</summary>\n\n")
	ew.printf("- command line: %s\n", CodeSpan(strings.Join(r.Process.Args, " ")))
	ew.printf("- pid %d, executable %s\n", r.Process.PID, CodeSpan(r.Process.Exe))
	for _, m := range r.Modules {
		ew.printf("- %s build-id %s (%s", CodeSpan(m.Path), CodeSpan(nameOr(m.CoreBuildID, m.BuildID)), m.Status)
		if m.StatusDetail != "" {
			ew.printf(": %s", EscapeMarkdown(m.StatusDetail))
		}
		ew.printf(")")
		if len(m.Compilers) > 0 {
			ew.printf(", built by %s", EscapeMarkdown(strings.Join(m.Compilers, "; ")))
		}
		ew.printf("\n")
	}
	if sys := r.System; sys != nil {
		if sys.LibC != "" {
			ew.printf("- C library: %s\n", EscapeMarkdown(sys.LibC))
		}
		if sys.Kernel != "" {
			ew.printf("- kernel: %s\n", EscapeMarkdown(kernelWords(sys)))
		}
	}
	ew.printf("\n</details>\n")
	if len(r.Warnings) > 0 {
		ew.printf("\n**Warnings**\n\n")
		for _, wn := range r.Warnings {
			ew.printf("- %s\n", EscapeMarkdown(wn))
		}
	}
	return ew.err
}

// writeThreadFrames writes a thread's frames as in the text report.
func writeThreadFrames(ew *errWriter, t *report.Thread, collapse bool) {
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	writeFrames(tw, t, collapse)
	tw.Flush()
}

// codeBlock writes what body writes as a fenced code block whose fence is
// longer than any backtick run in it, so nothing from the core can close
// the block early.
func codeBlock(ew *errWriter, body func(*errWriter)) {
	var b strings.Builder
	bw := &errWriter{w: &b}
	body(bw)
	if bw.err != nil && ew.err == nil {
		ew.err = bw.err
	}
	fence := Fence(b.String())
	ew.printf("%s\n", fence)
	if ew.err == nil {
		_, ew.err = io.WriteString(ew.w, b.String())
	}
	ew.printf("%s\n", fence)
}
