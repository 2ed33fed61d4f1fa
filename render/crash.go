package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/coreview/coreview/report"
)

// overflowed reports whether the report diagnoses a stack overflow.
func overflowed(r *report.Report) bool {
	for _, d := range r.Diagnosis {
		if d.StackOverflow != nil {
			return true
		}
	}
	return false
}

// recursing reports whether the report's primary diagnosis is a stack
// overflow through a recursion: the frames reading an input are the
// recursion's.
func recursing(r *report.Report) bool {
	for _, d := range r.Diagnosis {
		if d.StackOverflow != nil && len(d.StackOverflow.Recursion) > 0 {
			return true
		}
	}
	return false
}

// writeRegisters prints a thread's registers four to a line, as mdb's
// ::regs and gdb's info registers name them.
func writeRegisters(w io.Writer, indent string, rs report.Registers) {
	for i := 0; i < len(rs); i += 4 {
		var cols []string
		for _, r := range rs[i:min(i+4, len(rs))] {
			cols = append(cols, fmt.Sprintf("%-7s 0x%016x", r.Name, r.Value))
		}
		fmt.Fprintf(w, "%s%s\n", indent, strings.Join(cols, "  "))
	}
}

// listingTitle says what a thread's disassembly is of.
func listingTitle(t *report.Thread) string {
	if t.DisassemblyAt == report.ListingCallSite {
		pc := uint64(0)
		if len(t.Frames) > 0 {
			pc = uint64(t.Frames[0].PC)
		}
		return fmt.Sprintf("code at frame #1's call (thread %d's PC %#x is not code)", t.TID, pc)
	}
	return fmt.Sprintf("code at the crash (thread %d)", t.TID)
}

// writeListing prints a disassembly, the current instruction marked "=>"
// as gdb's x/i marks the PC.
func writeListing(w io.Writer, indent string, t *report.Thread) {
	for _, in := range t.Disassembly {
		mark := "  "
		if in.Current {
			mark = "=>"
		}
		fmt.Fprintf(w, "%s%s %#016x  %-29s  %s\n", indent, mark, uint64(in.Address), spacedHex(in.Bytes), in.Instruction)
	}
}

// spacedHex writes "488b07" as "48 8b 07".
func spacedHex(h string) string {
	var b strings.Builder
	for i := 0; i+1 < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// inputMarkdown is an input's sentence for Markdown.
func inputMarkdown(in *report.Input, recursion bool) string {
	return EscapeMarkdown(in.Words(recursion)) + " " + CodeSpan(in.Excerpt)
}

// systemLines are the text header's lines about the toolchain and
// system: the compilers each module records, the C library, the kernel.
func systemLines(r *report.Report) []string {
	var out []string
	for _, m := range r.Modules {
		if len(m.Compilers) > 0 {
			out = append(out, fmt.Sprintf("built    %s: %s", moduleBase(m.Path), strings.Join(m.Compilers, "; ")))
		}
	}
	if sys := r.System; sys != nil {
		if sys.LibC != "" {
			out = append(out, "libc     "+sys.LibC)
		}
		if sys.Kernel != "" {
			out = append(out, "kernel   "+kernelWords(sys))
		}
	}
	return out
}

// kernelWords is the kernel's version with where it comes from.
func kernelWords(sys *report.System) string {
	w := sys.Kernel + " (the vDSO's LINUX_VERSION_CODE)"
	if sys.KernelBuildSalt != "" {
		w += ", build salt " + sys.KernelBuildSalt
	}
	return w
}

func moduleBase(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
