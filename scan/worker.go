package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/symbolize"
)

// Isolation runs each core's analysis in a child process, so that what
// one core does to its analysis (a crash, a SIGBUS, running out of
// memory, a hang) is that core's error row and nothing else's, and a
// timeout really ends the analysis: the child is killed, and its job
// slot is free only once it is gone.
type Isolation struct {
	// Command is the worker's argv: a program that reads a WorkerRequest
	// on standard input and writes its Row as JSON on standard output
	// (coreview's hidden "worker" command, which calls ServeWorker).
	Command []string
	// MaxMemory is the address-space limit (RLIMIT_AS) of each worker,
	// in bytes, beyond the files it maps to read them; 0: none. The
	// worker sets it on itself before reading the core.
	MaxMemory uint64
}

// WorkerRequest is what a worker is asked: one core, and the options its
// analysis starts from (those of the scan, less what cannot cross a pipe:
// the debuginfod client is rebuilt from its settings).
type WorkerRequest struct {
	Path      string          `json:"path"`
	Core      analyze.Options `json:"core"`
	BinaryDir string          `json:"binary_dir,omitempty"`
	// Debuginfod is the scan's debuginfod client's settings, if any.
	Debuginfod *DebuginfodConfig `json:"debuginfod,omitempty"`
	MaxMemory  uint64            `json:"max_memory,omitempty"`
}

// DebuginfodConfig is a symbolize.Debuginfod's settings.
type DebuginfodConfig struct {
	URLs     []string      `json:"urls"`
	CacheDir string        `json:"cache_dir"`
	Timeout  time.Duration `json:"timeout"`
}

// maxWorkerOutput caps what is read of a worker's standard output (a Row
// is a few KiB) and standard error.
const (
	maxWorkerOutput = 16 << 20
	maxWorkerStderr = 64 << 10
)

// ServeWorker answers one WorkerRequest read from r with the core's Row,
// written to w as JSON: the child side of Isolation. The address-space
// limit is set first, so that nothing the core makes the analysis
// allocate can go past it; past it, the Go runtime ends the worker, and
// the parent reports that.
func ServeWorker(r io.Reader, w io.Writer) error {
	var req WorkerRequest
	if err := json.NewDecoder(io.LimitReader(r, maxWorkerOutput)).Decode(&req); err != nil {
		return fmt.Errorf("worker: reading the request: %w", err)
	}
	if req.MaxMemory > 0 {
		// Files mapped to be read (the core, modules, debug files) are
		// not counted against it.
		if err := safefile.LimitAddressSpace(req.MaxMemory); err != nil {
			return fmt.Errorf("worker: setting the memory limit: %w", err)
		}
	}
	if d := req.Debuginfod; d != nil {
		req.Core.Debuginfod = &symbolize.Debuginfod{URLs: d.URLs, CacheDir: d.CacheDir, Timeout: d.Timeout}
	}
	opts := Options{Core: req.Core, BinaryDir: req.BinaryDir}
	row := analyzeRow(context.Background(), req.Path, opts)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(row)
}

// runWorker analyzes path in a child process, killed at the timeout.
func runWorker(path string, opts Options) Row {
	iso := opts.Isolate
	ctx := context.Background()
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	in, err := json.Marshal(workerRequest(path, opts))
	if err != nil {
		return errorRow(path, fmt.Sprintf("internal error: worker request: %v", err))
	}
	cmd := exec.CommandContext(ctx, iso.Command[0], iso.Command[1:]...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr capped
	stdout.max, stderr.max = maxWorkerOutput, maxWorkerStderr
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Killed at the timeout (SIGKILL: a hung analysis does not get to
	// decide); Wait returns once the process is gone, and only then is
	// the job slot free.
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return errorRow(path, fmt.Sprintf("timed out after %s (the analysis was killed)", opts.Timeout))
	}
	if err != nil {
		return errorRow(path, workerFailure(err, stderr.String(), iso.MaxMemory))
	}
	var row Row
	if err := json.Unmarshal(stdout.Bytes(), &row); err != nil {
		return errorRow(path, fmt.Sprintf("internal error: the worker's answer: %v", err))
	}
	if row.Diagnoses == nil {
		row.Diagnoses = []string{}
	}
	row.Path = path
	return row
}

// workerRequest is what the worker for path is asked. The scan's
// directory indexes go along (the core's directory and --binary-dir,
// indexed by build-id once for all their cores); the worker adds the rest
// of coreOptions itself.
func workerRequest(path string, opts Options) WorkerRequest {
	req := WorkerRequest{Path: path, Core: opts.Core, BinaryDir: opts.BinaryDir, MaxMemory: opts.Isolate.MaxMemory}
	if opts.index != nil {
		req.Core.SearchIndex = coreOptions(path, opts).SearchIndex
	}
	if d := opts.Core.Debuginfod; d != nil {
		req.Debuginfod = &DebuginfodConfig{URLs: d.URLs, CacheDir: d.CacheDir, Timeout: d.Timeout}
		req.Core.Debuginfod = nil
	}
	return req
}

func errorRow(path, msg string) Row { return Row{Path: path, Diagnoses: []string{}, Error: msg} }

// workerFailure says why a worker ended without an answer: the signal that
// killed it, or what the Go runtime printed when it gave up (out of
// memory under --max-memory, a fault), else its last line of stderr.
func workerFailure(err error, stderr string, maxMemory uint64) string {
	last := lastLine(stderr)
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Sprintf("the analysis could not be started: %v", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("the analysis was killed by %v", ws.Signal())
	}
	switch {
	case strings.Contains(stderr, "out of memory") || strings.Contains(stderr, "cannot allocate memory"):
		if maxMemory > 0 {
			return fmt.Sprintf("the analysis ran out of memory (its limit is %d MiB, --max-memory)", maxMemory>>20)
		}
		return "the analysis ran out of memory"
	case maxMemory > 0 && runtimeNilFault(stderr) != "":
		// Not every allocation the Go runtime makes for itself is
		// checked: Go 1.26's garbage collector stores through the
		// pointer sysAlloc returned for a span queue's ring
		// (runtime.newSpanSPMC), nil when mmap is refused, and the
		// worker dies of SIGSEGV at address 0 in runtime code instead
		// of "fatal error: runtime: out of memory".
		return fmt.Sprintf("the analysis ran out of memory (its limit is %d MiB, --max-memory): the Go runtime read or wrote address 0 in %s, as it does when the limit refuses memory it allocates without checking", maxMemory>>20, runtimeNilFault(stderr))
	case strings.Contains(stderr, "unexpected fault address") || strings.Contains(stderr, "signal SIGBUS"):
		return "the analysis crashed reading a file that changed underneath it: " + last
	}
	if last != "" {
		return fmt.Sprintf("the analysis failed (exit status %d): %s", ee.ExitCode(), last)
	}
	return fmt.Sprintf("the analysis failed (exit status %d)", ee.ExitCode())
}

// runtimeNilFault returns the function in which the Go runtime's own code
// faulted at address 0, from the report the runtime prints for a signal it
// cannot turn into a panic (runtime/signal_unix.go sighandler, then
// traceback):
//
//	SIGSEGV: segmentation violation
//	PC=0x43925d m=4 sigcode=1 addr=0x0
//
//	goroutine 0 gp=0xb35af637860 m=4 mp=0xb35af67b808 [idle]:
//	runtime.(*spanQueue).tryDrain(0x7f5200000400?, ...)
//
// and "" for any other failure: a fault elsewhere, or outside package
// runtime, is not a refused allocation of the runtime's.
func runtimeNilFault(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "SIGSEGV: ") {
		return ""
	}
	if f := strings.Fields(lines[1]); len(f) == 0 || !strings.HasPrefix(f[0], "PC=") || f[len(f)-1] != "addr=0x0" {
		return ""
	}
	for i := 2; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "goroutine ") {
			continue
		}
		// The arguments are the line's last parenthesis: a method's
		// receiver type, "(*spanQueue)", comes before them.
		fn := lines[i+1]
		if k := strings.LastIndexByte(fn, '('); k > 0 {
			fn = fn[:k]
		}
		if !strings.HasPrefix(fn, "runtime.") {
			return ""
		}
		return fn
	}
	return ""
}

// lastLine is the first line of a Go runtime failure ("fatal error: …"),
// else the last non-empty line.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "runtime:") {
			return strings.TrimSpace(l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// capped keeps the first max bytes written to it and discards the rest.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
