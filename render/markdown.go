package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/coreview/coreview/report"
)

// DefaultMarkdownLimit is the most characters a Markdown report has by
// default: GitHub refuses an issue body or comment longer than 65,536.
const DefaultMarkdownLimit = 65536

// MarkdownOptions select what a Markdown report holds.
type MarkdownOptions struct {
	// Threads is "all" (or ""), "crashed", or a thread id.
	Threads string
	// NoCollapse prints every frame of a recursion.
	NoCollapse bool
	// Registers adds every other thread's registers to its section (each
	// thread then its own group: their registers differ).
	Registers bool
	// Limit is the most characters the report may have; 0: no limit.
	// To fit, the report leaves out, in this order, the stacks of other
	// threads (keeping one line per group of identical stacks), the
	// memory map, the module list, and the crashed thread's middle
	// frames, and says what it left out and how to get it.
	Limit int
}

// Markdown writes the report for a bug tracker (GitHub, GitLab): a title
// line, the diagnoses with their numbers and a picture of the crashed
// thread's stacks, the crashed thread's frames in a fenced block (recursion
// collapsed), the other threads grouped by identical stacks and the memory
// map in collapsible sections, and the environment facts; within
// opts.Limit characters.
func Markdown(w io.Writer, r *report.Report, opts MarkdownOptions) error {
	_, err := io.WriteString(w, markdownDoc(r, opts))
	return err
}

// MarkdownWith is Markdown with options (the name main's callers use).
func MarkdownWith(w io.Writer, r *report.Report, opts MarkdownOptions) error {
	return Markdown(w, r, opts)
}

// threadGroup is threads whose listed stacks are identical.
type threadGroup struct {
	threads []*report.Thread
	frames  string // the rendered frames, the same for each
}

// groupThreads groups threads by their rendered frames, in the order each
// stack first appears, largest group first.
func groupThreads(threads []*report.Thread, collapse, registers bool) []threadGroup {
	var groups []threadGroup
	idx := map[string]int{}
	for _, t := range threads {
		var b strings.Builder
		ew := &errWriter{w: &b}
		writeThreadFrames(ew, t, collapse)
		if registers && len(t.Registers) > 0 {
			ew.printf("registers:\n")
			writeRegisters(ew, "  ", t.Registers)
		}
		key := t.EndReason + "\x00" + b.String()
		i, ok := idx[key]
		if !ok {
			i = len(groups)
			idx[key] = i
			groups = append(groups, threadGroup{frames: b.String()})
		}
		groups[i].threads = append(groups[i].threads, t)
	}
	// Stable by size, so equal groups keep the order they first appear in.
	for i := 1; i < len(groups); i++ {
		for j := i; j > 0 && len(groups[j].threads) > len(groups[j-1].threads); j-- {
			groups[j], groups[j-1] = groups[j-1], groups[j]
		}
	}
	return groups
}

// stackLine is a stack in one line, innermost first: where the thread
// is (its first frame), the last C library or loader function of the run
// it is in (the call the program made, pthread_cond_wait), then the
// program's own frames up to the next runtime frame, five names at most
// ("__futex_abstimed_wait_common ← pthread_cond_wait ← park ← io_worker").
func stackLine(t *report.Thread) string {
	fr := t.Frames
	if len(fr) == 0 {
		return "no frames"
	}
	var names []string
	add := func(f *report.Frame) {
		name := f.Name()
		if f.Signal {
			name = "<signal handler called>"
		}
		if len(names) == 0 || names[len(names)-1] != name {
			names = append(names, name)
		}
	}
	add(&fr[0])
	j := 0
	for report.IsRuntimeModule(fr[0].Module) && j+1 < len(fr) && report.IsRuntimeModule(fr[j+1].Module) {
		j++
	}
	add(&fr[j])
	for k := j + 1; k < len(fr) && len(names) < 5; k++ {
		if report.IsRuntimeModule(fr[k].Module) && k > j+1 {
			break
		}
		add(&fr[k])
	}
	return strings.Join(names, " ← ")
}

// CodeBlock is s in a fenced Markdown code block, its fence longer than
// any run of backticks in s.
func CodeBlock(s string) string {
	f := Fence(s)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return f + "\n" + s + f + "\n"
}

func markdownDoc(r *report.Report, opts MarkdownOptions) string {
	collapse := !opts.NoCollapse
	to := TextOptions{Threads: opts.Threads}
	var crashed *report.Thread
	var others []*report.Thread
	for i := range r.Threads {
		t := &r.Threads[i]
		if !to.selects(t) {
			continue
		}
		// A snapshot has no crashed thread: its first is the one the
		// writer stopped first (gcore's current thread), shown as the
		// crashed one is.
		if t.Crashed || r.Snapshot && i == 0 && r.CrashedThread() == nil {
			crashed = t
		} else {
			others = append(others, t)
		}
	}
	head := markdownHead(r)
	crash := ""
	if crashed != nil {
		crash = markdownCrashed(r, crashed, collapse, -1)
	}
	groups := groupThreads(others, collapse, opts.Registers)
	var maps strings.Builder
	Maps(&maps, r)
	env := markdownEnv(r, -1)
	warn := markdownWarnings(r)

	// shown is how many groups keep their stacks; the rest are a line each.
	shown, listed := len(groups), len(groups)
	withMap, modules, crashFrames := true, len(r.Modules), -1
	build := func() string {
		var b strings.Builder
		b.WriteString(head)
		if crashed != nil {
			if crashFrames >= 0 {
				b.WriteString(markdownCrashed(r, crashed, collapse, crashFrames))
			} else {
				b.WriteString(crash)
			}
		}
		b.WriteString(markdownOthers(others, groups, shown, listed))
		if withMap {
			fmt.Fprintf(&b, "<details><summary>Memory map (%d mappings)</summary>\n\n%s\n</details>\n\n", len(r.Mappings), CodeBlock(maps.String()))
		}
		if modules == len(r.Modules) {
			b.WriteString(env)
		} else {
			b.WriteString(markdownEnv(r, modules))
		}
		b.WriteString(warn)
		return b.String()
	}
	doc := build()
	if opts.Limit <= 0 || chars(doc) <= opts.Limit {
		return doc
	}
	how := "`coreview analyze " + mdCoreArg(r.Core) + " --format markdown --thread all` writes all of it; or attach the JSON report (`--format json`)"
	note := func(cut []string) string {
		return fmt.Sprintf("\n> [!NOTE]\n> Cut to fit GitHub's %s-character limit for an issue: left out %s. %s.\n",
			report.Commas(opts.Limit), strings.Join(cut, "; "), how)
	}
	cutThreads := func() string {
		threads := 0
		for _, g := range groups[shown:] {
			threads += len(g.threads)
		}
		return fmt.Sprintf("the frames of %d other threads (%d distinct stacks)", threads, len(groups)-shown)
	}
	// Room for the longest note this can write.
	limit := opts.Limit - chars(note([]string{cutThreads(), "the memory map (1000000 mappings; `coreview maps` prints it)",
		"1000000 of 1000000 modules", "the crashed thread's frames past #1000000"}))
	fits := func() bool { doc = build(); return chars(doc) <= limit }
	// largest finds the largest n in [0, hi] for which fits holds with
	// *v = n, when fits is monotonic in n, and leaves *v there.
	largest := func(v *int, hi int) {
		lo := 0
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if *v = mid; fits() {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		*v = lo
	}
	// Threads first: as many groups with their stacks as fit, then as
	// many one-line groups. Each later cut makes room, which the threads
	// get back.
	fitThreads := func() {
		shown, listed = len(groups), len(groups)
		if !fits() {
			shown = 0
			largest(&listed, len(groups))
			largest(&shown, listed)
		}
	}
	fitThreads()
	if !fits() {
		withMap = false
		fitThreads()
	}
	if !fits() {
		modules = 0
		fitThreads()
		largest(&modules, len(r.Modules))
	}
	if !fits() && crashed != nil {
		largest(&crashFrames, len(crashed.Frames))
	}
	var cut []string
	if shown < len(groups) {
		cut = append(cut, cutThreads())
	}
	if !withMap {
		cut = append(cut, fmt.Sprintf("the memory map (%d mappings; `coreview maps` prints it)", len(r.Mappings)))
	}
	if modules < len(r.Modules) {
		cut = append(cut, fmt.Sprintf("%d of %d modules", len(r.Modules)-modules, len(r.Modules)))
	}
	if crashFrames >= 0 {
		cut = append(cut, fmt.Sprintf("the crashed thread's frames past #%d", crashFrames-1))
	}
	fits()
	return doc + note(cut)
}

// mdCoreArg is the core's path as a shell word inside a code span.
func mdCoreArg(p string) string {
	if p == "" {
		return "CORE"
	}
	if strings.ContainsAny(p, " \t'\"`$\\|&;()<>*?[]{}!#~") {
		return "'" + strings.ReplaceAll(strings.ReplaceAll(p, "'", `'\''`), "`", "'\\`'") + "'"
	}
	return p
}

// chars counts what GitHub counts: characters, not bytes.
func chars(s string) int { return utf8.RuneCountInString(s) }

func markdownHead(r *report.Report) string {
	var b strings.Builder
	ew := &errWriter{w: &b}
	title := reportTitle(r)
	ew.printf("## %s\n\n", EscapeMarkdown(title))
	if r.Signal != nil {
		ew.printf("**Signal:** %s (%s", r.Signal.Name, r.Signal.CodeName)
		if m := report.CodeMeaningFrom(r.Signal.CodeName, r.Signal.SenderPID, r.Process.PID); m != "" {
			ew.printf(": %s", EscapeMarkdown(m))
		}
		ew.printf(")")
		if len(r.Threads) > 0 {
			ew.printf(" in thread %d", r.Signal.Thread)
		}
		if r.Signal.SenderPID != 0 {
			ew.printf(", sent by pid %d", r.Signal.SenderPID)
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
	ew.printf("**Signature:** %s (`%s`)\n\n", CodeSpan(r.Signature), r.SignatureHash)
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
	if pic := StackPicture(r); pic != nil {
		// Each line sanitized (it names the core's functions); the block
		// written as it is, its newlines kept.
		for i := range pic {
			pic[i] = Sanitize(pic[i])
		}
		ew.printf("**The crashed thread's stacks**\n\n")
		io.WriteString(ew, CodeBlock(strings.Join(pic, "\n"))+"\n")
	}
	for i := range r.Inputs {
		if !r.Inputs[i].Shown(overflowed(r)) {
			continue
		}
		ew.printf("%s\n\n", inputMarkdown(&r.Inputs[i], recursing(r)))
	}
	if crashed := r.CrashedThread(); crashed != nil {
		if len(crashed.Registers) > 0 {
			ew.printf("<details><summary>Registers (thread %d)</summary>\n\n", crashed.TID)
			codeBlock(ew, func(w *errWriter) { writeRegisters(w, "", crashed.Registers) })
			ew.printf("\n</details>\n\n")
		}
		if len(crashed.Disassembly) > 0 {
			title := listingTitle(crashed)
			ew.printf("**%s**\n\n", EscapeMarkdown(strings.ToUpper(title[:1])+title[1:]))
			codeBlock(ew, func(w *errWriter) { writeListing(w, "", crashed) })
			ew.printf("\n")
		}
	}
	return b.String()
}

// markdownCrashed is the crashed thread's section; frames >= 0 lists only
// its first frames.
func markdownCrashed(r *report.Report, t *report.Thread, collapse bool, frames int) string {
	shown := t
	if frames >= 0 && frames < len(t.Frames) {
		c := *t
		c.Frames = t.Frames[:frames]
		c.FramesOmitted = t.FramesOmitted + len(t.Frames) - frames
		shown = &c
	}
	var b strings.Builder
	writeThreadFrames(&errWriter{w: &b}, shown, collapse)
	what := "Crashed thread"
	if !t.Crashed {
		what = "Thread"
	}
	return fmt.Sprintf("### %s %d (%s, %s)\n\n%s\n", what, t.TID, frameCount(t), t.EndReason, CodeBlock(b.String()))
}

// markdownOthers is the other threads' section: each group of identical
// stacks once, its first `shown` groups with their frames, the next ones
// up to `listed` as a line, the rest counted.
func markdownOthers(others []*report.Thread, groups []threadGroup, shown, listed int) string {
	if len(others) == 0 {
		return ""
	}
	var b strings.Builder
	what := fmt.Sprintf("%d", len(others))
	if len(groups) < len(others) {
		what += fmt.Sprintf(", %d distinct stacks", len(groups))
	}
	fmt.Fprintf(&b, "<details><summary>Other threads (%s)</summary>\n\n", what)
	for i, g := range groups {
		if i >= listed {
			n := 0
			for _, g := range groups[i:] {
				n += len(g.threads)
			}
			fmt.Fprintf(&b, "- and %d more threads in %d groups\n\n", n, len(groups)-i)
			break
		}
		t := g.threads[0]
		if len(g.threads) == 1 {
			fmt.Fprintf(&b, "**thread %d**: %s, %s — %s\n", t.TID, frameCount(t), t.EndReason, CodeSpan(stackLine(t)))
		} else {
			fmt.Fprintf(&b, "**%d threads**: %s, %s — %s  \n", len(g.threads), frameCount(t), t.EndReason, CodeSpan(stackLine(t)))
			tids := make([]string, len(g.threads))
			for k, gt := range g.threads {
				tids[k] = strconv.Itoa(gt.TID)
			}
			fmt.Fprintf(&b, "threads %s\n", strings.Join(tids, ", "))
		}
		if i < shown {
			b.WriteString("\n" + CodeBlock(g.frames))
		}
		b.WriteString("\n")
	}
	b.WriteString("</details>\n\n")
	return b.String()
}

// markdownEnv is the environment section, with the first `modules`
// modules (all when < 0).
func markdownEnv(r *report.Report, modules int) string {
	var b strings.Builder
	b.WriteString("<details><summary>Environment</summary>\n\n")
	fmt.Fprintf(&b, "- command line: %s\n", CodeSpan(strings.Join(r.Process.Args, " ")))
	fmt.Fprintf(&b, "- pid %d, executable %s\n", r.Process.PID, CodeSpan(r.Process.Exe))
	for i, m := range r.Modules {
		if modules >= 0 && i == modules {
			fmt.Fprintf(&b, "- and %d more modules\n", len(r.Modules)-modules)
			break
		}
		fmt.Fprintf(&b, "- %s build-id %s (%s", CodeSpan(m.Path), CodeSpan(nameOr(m.CoreBuildID, m.BuildID)), m.Status)
		if m.StatusDetail != "" {
			fmt.Fprintf(&b, ": %s", EscapeMarkdown(m.StatusDetail))
		}
		b.WriteString(")")
		if len(m.Compilers) > 0 {
			fmt.Fprintf(&b, ", built by %s", EscapeMarkdown(strings.Join(m.Compilers, "; ")))
		}
		b.WriteString("\n")
	}
	if sys := r.System; sys != nil {
		if sys.LibC != "" {
			fmt.Fprintf(&b, "- C library: %s\n", EscapeMarkdown(sys.LibC))
		}
		if sys.Kernel != "" {
			fmt.Fprintf(&b, "- kernel: %s\n", EscapeMarkdown(kernelWords(sys)))
		}
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

func markdownWarnings(r *report.Report) string {
	if len(r.Warnings) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n**Warnings**\n\n")
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "- %s\n", EscapeMarkdown(wn))
	}
	return b.String()
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
