package render

import (
	"fmt"
	"io"

	"github.com/coreview/coreview/report"
)

// Formatting helpers shared by the renderers and the scan formats: sizes,
// counts, names, Markdown escaping, and a writer that keeps the first error.

// frameCount says how many frames a thread has, and how many are listed
// when --max-frames left some out.
func frameCount(t *report.Thread) string {
	if t.FramesOmitted > 0 {
		return fmt.Sprintf("%d frames (%d shown)", t.TotalFrames(), len(t.Frames))
	}
	return fmt.Sprintf("%d frames", len(t.Frames))
}

// humanSize writes a mapping's size as pmap does: whole gigabytes or
// megabytes when exact, else kilobytes ("8M", "132K"). The diagnoses'
// prose writes sizes differently ("8 MiB", "1.5 KiB"); the two are kept
// apart because merging them would change the maps table.
func humanSize(n uint64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dG", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	}
	return fmt.Sprintf("%dK", n>>10)
}

func nameOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// errWriter writes to w until the first error, which it keeps, so a
// renderer can print line after line and check once.
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

// printf formats with the string arguments sanitized (see Sanitize).
func (e *errWriter) printf(format string, args ...any) { fprintf(e, format, args...) }

// reportTitle is the one-line title of a Markdown or HTML report: the
// signal, the first diagnosis's kind and the first meaningful frame
// ("SIGSEGV: null-call in apply"); "Snapshot" for a core of a running
// process, "Crash" when the core records no signal.
func reportTitle(r *report.Report) string {
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
	return title
}
