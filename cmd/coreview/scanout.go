package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/coreview/coreview/scan"
)

// scanOutput are the flags scan and merge share: how the result is
// written, which crashes fail the run, and the baseline of known ones.
type scanOutput struct {
	format        string
	failOn        []string
	baseline      string
	writeBaseline string
	sourceRoot    string

	known    *scan.Baseline // --baseline, read by check
	streamed bool           // the JSON Lines rows were written as they came
	rowErr   error          // the first error writing them
}

func (o *scanOutput) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "table", "output format: table, jsonl, json, markdown, junit or sarif")
	f.StringSliceVar(&o.failOn, "fail-on", nil, "exit 1 only for cores with a diagnosis of these `KIND`s or these signals (comma-separated; e.g. stack-overflow,SIGABRT; snapshot for gcore cores)")
	f.StringVar(&o.baseline, "baseline", "", "mark each crash known or new against the signatures in `FILE` (written by --write-baseline); exit 1 only for new ones")
	f.StringVar(&o.writeBaseline, "write-baseline", "", "write the crash signatures found to `FILE`, a baseline for --baseline")
	f.StringVar(&o.sourceRoot, "source-root", "", "sarif: give source files relative to `DIR` (the repository's root, so code scanning can annotate the line)")
}

// check validates the flags before any work.
func (o *scanOutput) check(cmd *cobra.Command) error {
	if err := checkFormat(cmd, o.format); err != nil {
		return err
	}
	if err := checkFailOn(o.failOn); err != nil {
		return &usageError{err}
	}
	if o.sourceRoot != "" {
		if st, err := os.Stat(o.sourceRoot); err != nil || !st.IsDir() {
			return usagef("--source-root %s: not a directory", o.sourceRoot)
		}
	}
	// Read before any core, so a bad baseline costs no scan.
	if o.baseline != "" {
		b, err := scan.ReadBaseline(o.baseline)
		if err != nil {
			return err
		}
		o.known = b
	}
	return nil
}

// onRow is the scan's row callback for --format jsonl: each core's line
// printed as soon as it and the ones before it are done, marked against
// the baseline; nil for the other formats, which need the whole result.
func (o *scanOutput) onRow(out io.Writer) func(scan.Row) {
	if o.format != "jsonl" {
		return nil
	}
	o.streamed = true
	enc := scan.NewJSONLWriter(out)
	return func(r scan.Row) {
		if o.known != nil && r.SignatureHash != "" {
			r.Baseline = o.known.State(r.SignatureHash)
		}
		if err := enc.Row(r); err != nil && o.rowErr == nil {
			o.rowErr = err
		}
	}
}

// write applies the baseline, writes the result and the new baseline, and
// returns the run's exit status.
func (o *scanOutput) write(cmd *cobra.Command, res *scan.Result) error {
	if o.known != nil {
		res.ApplyBaseline(o.known)
	}
	out := cmd.OutOrStdout()
	var err error
	switch o.format {
	case "table":
		err = res.WriteTable(out)
	case "jsonl":
		if err = o.rowErr; err == nil && o.streamed {
			err = res.WriteJSONLSummary(out)
		} else if err == nil {
			err = res.WriteJSONL(out)
		}
	case "json":
		err = res.WriteJSON(out)
	case "markdown":
		err = res.WriteMarkdown(out)
	case "junit":
		err = res.WriteJUnit(out)
	case "sarif":
		err = res.WriteSARIF(out, scan.SARIFOptions{SourceRoot: o.sourceRoot, ToolVersion: moduleVersion()})
	}
	if err != nil {
		return err
	}
	if o.writeBaseline != "" {
		if err := writeFileAtomic(o.writeBaseline, res.Baseline().Write); err != nil {
			return fmt.Errorf("--write-baseline: %w", err)
		}
	}
	switch {
	case res.Crashes(o.failOn) > 0:
		return &exitStatus{code: exitCrashes}
	case res.Errors > 0:
		return &exitStatus{code: exitBadInput, msg: fmt.Sprintf("%d of %d cores could not be analyzed", res.Errors, len(res.Rows))}
	}
	return nil
}

// moduleVersion is coreview's version for SARIF's tool.driver.version,
// which its consumers compare as numbers: the module version without its
// "v" (a tag, or Go's v0.0.0-time-revision pseudo-version); for a build
// the go command stamped no version into, 0.0.0-devel (Go's own base for
// an untagged module) with the VCS revision when there is one.
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if ok && len(bi.Main.Version) > 1 && bi.Main.Version[0] == 'v' && bi.Main.Version[1] >= '0' && bi.Main.Version[1] <= '9' {
		return bi.Main.Version[1:]
	}
	v := "0.0.0-devel"
	if ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v += "+" + s.Value
			}
		}
	}
	return v
}
