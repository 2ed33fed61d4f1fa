package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/scan"
)

type scanOptions struct {
	recursive bool
	jobs      int
	binary    string
	binaryDir string
	sysroot   string
	output    scanOutput
	timeout   time.Duration
	maxSize   byteSize
	maxMemory byteSize
	inProcess bool
	source    sourceFlags
}

// defaultMaxMemory is each worker's address-space limit: the analysis of
// one core is promised to stay within 2 GiB of RSS with default flags,
// and address space runs ahead of RSS (mapped files, the Go heap's
// reservations).
const defaultMaxMemory = 4 << 30

func newScanCmd() *cobra.Command {
	o := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan DIR...",
		Short: "Analyze every core in crash directories, grouped by crash signature",
		Long: `scan finds cores by content (ELF ET_CORE, raw or compressed with zstd, xz, gzip or lz4),
analyzes them in parallel, and groups them by crash signature. A core that cannot be analyzed
(corrupt, no binary, a timeout) becomes an error row; it never stops the scan.

Each core's executable is looked for in this order: --binary; a file named "bin" beside the
core; the core's directory, then --binary-dir, each by build-id then by name; the paths the core
names, under --sysroot. A file that does not match the core (build-id, or the ELF headers the
core holds) loses to any later one that does.

A core of a running process (gdb's gcore: no thread was handling a signal) is a snapshot, not
a crash: it is listed and grouped apart, and fails the scan only with --fail-on snapshot.

Cores are analyzed in child processes, at most --jobs at once, each worker taking one core after
another: a core that makes its analysis crash, run out of memory (--max-memory, default 4 GiB of
address space besides the files it maps to read them) or hang (--timeout: the worker is killed)
is that core's error row, and the next core has a new worker.

With --baseline, each crash is known (its signature is in the file --write-baseline wrote) or
new, in every format; only new crashes fail the run.

Exit status: 0 no crash found; 1 crashes found (only new ones with --baseline; only those of
the --fail-on kinds or signals, when given); 2 usage error; 3 some cores could not be analyzed
and nothing else failed.`,
		Example: `  coreview scan /var/crash --recursive
  coreview scan artifacts/ --binary-dir build/bin --format junit > crashes.xml
  coreview scan cores/ --format jsonl --fail-on stack-overflow,null-call
  coreview scan cores/ --baseline known.json --format sarif --source-root . > crashes.sarif`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd, args) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.recursive, "recursive", "r", false, "descend into subdirectories")
	f.IntVarP(&o.jobs, "jobs", "j", 0, "analyze `N` cores at once (default: the number of CPUs)")
	f.StringVar(&o.binary, "binary", "", "the executable of every core")
	f.StringVar(&o.binaryDir, "binary-dir", "", "look for executables and libraries in `DIR` (by build-id, then name)")
	f.StringVar(&o.sysroot, "sysroot", "", "look up the paths cores name under `DIR`")
	o.output.register(cmd)
	f.DurationVar(&o.timeout, "timeout", 0, "give up on a core's analysis after `D` (e.g. 30s; 0: no limit); it is killed (a core whose reused worker ended or never started on it is analyzed once more, for another D)")
	o.maxMemory = defaultMaxMemory
	f.Var(&o.maxMemory, "max-memory", "limit each core's analysis to `SIZE` bytes of address space besides the files it maps, e.g. 2G (0: no limit)")
	f.BoolVar(&o.inProcess, "in-process", false, "analyze in this process, not one child per core (no isolation; for debugging)")
	f.MarkHidden("in-process")
	addMaxCoreSize(cmd, &o.maxSize)
	o.source.register(cmd)
	return cmd
}

func (o *scanOptions) run(cmd *cobra.Command, dirs []string) error {
	if err := o.output.check(cmd); err != nil {
		return err
	}
	if o.jobs < 0 || o.timeout < 0 {
		return &usageError{fmt.Errorf("--jobs and --timeout must not be negative")}
	}
	opts := scan.Options{Dirs: dirs, Recursive: o.recursive, Jobs: o.jobs, Timeout: o.timeout, BinaryDir: o.binaryDir,
		Core: analyze.Options{Binary: o.binary, Sysroot: o.sysroot, MaxCoreSize: int64(o.maxSize)}}
	o.source.apply(&opts.Core)
	if !o.inProcess {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("scan: finding this program to run its workers: %w", err)
		}
		opts.Isolate = &scan.Isolation{Command: []string{exe, "worker"}, MaxMemory: uint64(o.maxMemory), Reuse: true}
	}
	stderr := cmd.ErrOrStderr()
	if isTerminal(stderr) {
		opts.Progress = progressLine(stderr)
	}
	opts.OnRow = o.output.onRow(cmd.OutOrStdout())
	res, err := scan.Run(opts)
	if err != nil {
		return err
	}
	return o.output.write(cmd, res)
}

// progressLine draws "[done/total] current core" on one terminal line,
// and clears it when every core is done.
func progressLine(w io.Writer) func(done, total int, current string) {
	return func(done, total int, current string) {
		fmt.Fprintf(w, "\r\033[K[%d/%d] %s", done, total, current)
		if done == total {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}

// isTerminal reports whether w is a terminal (the TCGETS ioctl works on
// it), so progress is drawn only for people, never into a pipe, a file,
// /dev/null (a character device but no terminal) or a CI log.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
