package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/coreinput"
	"github.com/coreview/coreview/render"
	"github.com/coreview/coreview/report"
)

// coreFlags are the flags every command that opens a core shares.
type coreFlags struct {
	binary      string
	sysroot     string
	searchPaths []string
	maxCoreSize int64
	env         bool
	source      sourceFlags
}

func (f *coreFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.binary, "binary", "", "the executable that produced the core (default: the path the core names)")
	cmd.Flags().StringVar(&f.sysroot, "sysroot", "", "look up the executable and libraries under `DIR`; nothing outside it is opened")
	cmd.Flags().StringArrayVar(&f.searchPaths, "search-path", nil, "look for modules in `DIR` (before the paths the core names), by build-id then by name (repeatable)")
	addMaxCoreSize(cmd, &f.maxCoreSize)
	cmd.Flags().BoolVar(&f.env, "env", false, "keep the whole environment and unmasked credentials in the report (default: only crash-relevant variables, credentials masked)")
	f.source.register(cmd)
}

// addMaxCoreSize registers --max-core-size. A compressed core is
// decompressed into a temporary file with its holes kept, so the cap guards
// the disk against decompression bombs rather than memory.
func addMaxCoreSize(cmd *cobra.Command, v *int64) {
	cmd.Flags().Int64Var(v, "max-core-size", coreinput.DefaultMaxSize, "stop decompressing a core past `BYTES` (a decompression bomb)")
}

func (f *coreFlags) options() analyze.Options {
	o := analyze.Options{Binary: f.binary, Sysroot: f.sysroot, SearchPaths: f.searchPaths, MaxCoreSize: f.maxCoreSize, Env: f.env}
	f.source.apply(&o)
	return o
}

type analyzeOptions struct {
	core       coreFlags
	format     string
	thread     string
	maxFrames  int
	rawSymbols bool
	noCollapse bool
	registers  bool
}

func newAnalyzeCmd() *cobra.Command {
	o := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze CORE",
		Short: "Print every thread's stack and explain the crash",
		Example: `  coreview analyze core.1234 --binary ./myprog
  coreview analyze core.zst --binary rustc --sysroot /srv/crash/root --format json | jq .signal
  coreview analyze core --thread crashed --max-frames 50`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, args[0])
		},
	}
	o.core.register(cmd)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text, json or markdown (for bug trackers)")
	cmd.Flags().StringVar(&o.thread, "thread", "all", "threads to print: all, crashed, or a thread id")
	cmd.Flags().IntVar(&o.maxFrames, "max-frames", 0, "list at most `N` frames per thread; diagnoses and the signature still use the whole stack (0: no limit)")
	cmd.Flags().BoolVar(&o.rawSymbols, "raw-symbols", false, "print mangled symbol names")
	cmd.Flags().BoolVar(&o.noCollapse, "no-collapse", false, "print every frame of a recursion")
	cmd.Flags().BoolVar(&o.registers, "registers", false, "print every thread's registers, not only the crashed thread's (text, markdown)")
	return cmd
}

func (o *analyzeOptions) run(cmd *cobra.Command, path string) error {
	switch o.format {
	case "text", "json", "markdown":
	default:
		return &usageError{fmt.Errorf("--format must be text, json or markdown, not %q", o.format)}
	}
	switch o.thread {
	case "all", "crashed":
	default:
		if _, err := strconv.Atoi(o.thread); err != nil {
			return &usageError{fmt.Errorf("--thread must be all, crashed or a thread id, not %q", o.thread)}
		}
	}
	if o.maxFrames < 0 {
		return &usageError{fmt.Errorf("--max-frames must not be negative")}
	}
	opts := o.core.options()
	opts.MaxFrames, opts.RawSymbols = o.maxFrames, o.rawSymbols
	r, err := analyze.Analyze(path, opts)
	if err != nil {
		return err
	}
	if err := checkThread(r, o.thread); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if o.format == "json" {
		if o.thread != "all" {
			keep := r.Threads[:0]
			for _, t := range r.Threads {
				if o.thread == "crashed" && t.Crashed || o.thread == strconv.Itoa(t.TID) {
					keep = append(keep, t)
				}
			}
			r.Threads = keep
		}
		return r.WriteJSON(out)
	}
	if o.format == "markdown" {
		return render.MarkdownWith(out, r, render.MarkdownOptions{Registers: o.registers})
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
	r.Warnings = nil
	return render.Text(out, r, render.TextOptions{Threads: o.thread, NoCollapse: o.noCollapse, Registers: o.registers})
}

// checkThread makes --thread TID for a thread the core does not hold a
// usage error that lists the threads it does hold.
func checkThread(r *report.Report, thread string) error {
	if thread == "all" || thread == "crashed" {
		return nil
	}
	var tids []string
	for _, t := range r.Threads {
		if strconv.Itoa(t.TID) == thread {
			return nil
		}
		tids = append(tids, strconv.Itoa(t.TID))
	}
	const maxListed = 20
	list := strings.Join(tids, ", ")
	if len(tids) > maxListed {
		list = strings.Join(tids[:maxListed], ", ") + fmt.Sprintf(", … (%d threads)", len(tids))
	}
	return &usageError{fmt.Errorf("--thread %s: the core has no such thread; its threads are %s", thread, list)}
}
