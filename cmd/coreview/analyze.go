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
	maxCoreSize byteSize
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
func addMaxCoreSize(cmd *cobra.Command, v *byteSize) {
	*v = coreinput.DefaultMaxSize
	cmd.Flags().Var(v, "max-core-size", "stop decompressing (or reading from standard input) a core past `SIZE` bytes, e.g. 1G (a decompression bomb)")
}

func (f *coreFlags) options() analyze.Options {
	o := analyze.Options{Binary: f.binary, Sysroot: f.sysroot, SearchPaths: f.searchPaths, MaxCoreSize: int64(f.maxCoreSize), Env: f.env}
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
	maxChars   int
	registers  bool
}

func newAnalyzeCmd() *cobra.Command {
	o := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze CORE|-",
		Short: "Print every thread's stack and explain the crash",
		Example: `  coreview analyze core.1234 --binary ./myprog
  coreview analyze core.zst --binary rustc --sysroot /srv/crash/root --format json | jq .signal
  coreview analyze core --thread crashed --max-frames 50
  coredumpctl dump 1234 | coreview analyze - --format markdown`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, args[0])
		},
	}
	o.core.register(cmd)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text, json, markdown (for bug trackers) or html (one self-contained page)")
	cmd.Flags().StringVar(&o.thread, "thread", "all", "threads to print: all, crashed, or a thread id")
	cmd.Flags().IntVar(&o.maxFrames, "max-frames", 0, "list at most `N` frames per thread; diagnoses and the signature still use the whole stack (0: no limit)")
	cmd.Flags().BoolVar(&o.rawSymbols, "raw-symbols", false, "print mangled symbol names")
	cmd.Flags().BoolVar(&o.noCollapse, "no-collapse", false, "print every frame of a recursion")
	cmd.Flags().IntVar(&o.maxChars, "max-chars", render.DefaultMarkdownLimit, "markdown: stay within `N` characters (GitHub's limit for an issue), leaving out other threads' stacks, then the memory map, and saying so; 0, or an explicit --thread all: no limit")
	cmd.Flags().BoolVar(&o.registers, "registers", false, "print every thread's registers, not only the crashed thread's (text, markdown)")
	return cmd
}

func (o *analyzeOptions) run(cmd *cobra.Command, path string) error {
	if err := checkFormat(cmd, o.format); err != nil {
		return err
	}
	switch o.thread {
	case "all", "crashed":
	default:
		if _, err := strconv.Atoi(o.thread); err != nil {
			return &usageError{fmt.Errorf("--thread must be all, crashed or a thread id, not %q", o.thread)}
		}
	}
	if o.maxFrames < 0 || o.maxChars < 0 {
		return &usageError{fmt.Errorf("--max-frames and --max-chars must not be negative")}
	}
	opts := o.core.options()
	opts.MaxFrames, opts.RawSymbols = o.maxFrames, o.rawSymbols
	file, done, err := coreArg(path, cmd.InOrStdin(), opts.MaxCoreSize)
	if err != nil {
		return err
	}
	defer done()
	s, err := analyze.Open(file, opts)
	if err != nil {
		return fromStdin(err, path, file)
	}
	r, err := s.Analyze()
	// Closing unmaps the core and the modules (hundreds of megabytes of
	// librustc_driver) and finishes the cache writes: beside the rendering,
	// which needs none of it, and before the process exits.
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	defer func() { <-closed }()
	if err != nil {
		return fromStdin(err, path, file)
	}
	if path == stdinCore {
		r.Core = stdinCore
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
		limit := o.maxChars
		// Asking for every thread by name is asking for all of it.
		if f := cmd.Flags(); f.Changed("thread") && o.thread == "all" && !f.Changed("max-chars") {
			limit = 0
		}
		return render.Markdown(out, r, render.MarkdownOptions{Threads: o.thread, NoCollapse: o.noCollapse, Registers: o.registers, Limit: limit})
	}
	if o.format == "html" {
		return render.HTML(out, r, render.HTMLOptions{Threads: o.thread, NoCollapse: o.noCollapse})
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
