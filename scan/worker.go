package scan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/metrics"
	"strings"
	"sync"
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
	// Reuse says Command answers requests one after another, a line
	// each, until its standard input ends (ServeWorker does): a worker
	// serves one core after another, and is replaced when it fails, is
	// killed at a timeout, has served maxWorkerUses cores, or says its
	// answer is its last (past maxReusedFootprint of memory); a core its
	// reused worker failed is analyzed again on a new one (see
	// workerPool.ask). Without it, each core has a worker of its own,
	// whose standard input ends after the request.
	//
	// A worker's start is most of a small core's analysis on a virtual
	// machine, where fresh memory is dear: a Go runtime's, its heap's
	// first pages, the process's teardown. bench/compare.sh's scan of 55
	// cores spent 0.7 s of its 1.7 s of CPU in the kernel, one worker per
	// core.
	Reuse bool
}

// maxWorkerUses is how many cores a reused worker analyzes before it is
// replaced: what one analysis leaves behind (a heap grown for a large
// core) does not stay for the rest of a scan of thousands.
const maxWorkerUses = 100

// WorkerRequest is what a worker is asked: one core, and the options its
// analysis starts from (those of the scan, less what cannot cross a pipe:
// the debuginfod client is rebuilt from its settings).
type WorkerRequest struct {
	Path string `json:"path"`
	// Exact is the request itself, gob-encoded (this field empty): what
	// the worker reads. File names are any bytes, which JSON's strings
	// cannot carry (encoding/json writes U+FFFD for each byte that is not
	// UTF-8, and the worker would look for another file); the JSON
	// fields beside it are for reading.
	Exact     []byte          `json:"exact,omitempty"`
	Core      analyze.Options `json:"core"`
	BinaryDir string          `json:"binary_dir,omitempty"`
	// Debuginfod is the scan's debuginfod client's settings, if any.
	Debuginfod *DebuginfodConfig `json:"debuginfod,omitempty"`
	MaxMemory  uint64            `json:"max_memory,omitempty"`
	// Ack asks for startedLine on standard output as soon as the request
	// is read (a reused worker's parent asks): a worker that has not
	// sent it when the core times out never started on the core.
	Ack bool `json:"ack,omitempty"`
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
//
// Requests are read one after another, a line each, until r ends: each is
// answered with its Row, a line, before the next is read (Isolation.Reuse).
// A worker that holds more than maxReusedFootprint after an analysis
// writes retiringLine before that answer, and reads no more. r ending before
// any request is an error.
// Its standard error is the Go runtime's, for the parent to read when the
// worker fails: an analysis writes nothing there.
func ServeWorker(r io.Reader, w io.Writer) error {
	sc := lineScanner(r)
	n := 0
	for ; sc.Scan(); n++ {
		var req WorkerRequest
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return fmt.Errorf("worker: reading the request: %w", err)
		}
		last, err := serveOne(req, w)
		if err != nil {
			return err
		}
		if last {
			return nil // the parent starts another worker for the next core
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("worker: reading the request: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("worker: reading the request: %w", io.ErrUnexpectedEOF)
	}
	return nil
}

// maxReusedFootprint is the memory the Go runtime may have mapped for
// itself (its heap, used or free, its stacks and metadata) for a worker to
// take another core after its answer: a new worker starts with 7 MiB, the
// rustc lexer overflow's analysis maps less than 100 MiB. Past it, what an
// analysis grew stays out of the next one's way: resident until it is
// returned to the system, and counted against its --max-memory.
var maxReusedFootprint uint64 = 512 << 20 // a variable for the test

// footprint is the address space the Go runtime holds.
func footprint() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// lineScanner reads the lines of the worker protocol, requests and
// answers, each at most maxWorkerOutput bytes (bufio.ErrTooLong past it).
func lineScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxWorkerOutput)
	return sc
}

// startedLine is what a worker asked for an Ack writes when it has read
// the request, and retiringLine what it writes before its last answer, when it
// will read no more requests (a Row is never either line: its JSON starts
// with "path").
const (
	startedLine  = `{"coreview_worker":"started"}`
	retiringLine = `{"coreview_worker":"last"}`
)

// serveOne answers one request; last says the worker holds more than
// maxReusedFootprint after it, and has said so before the answer.
func serveOne(req WorkerRequest, w io.Writer) (last bool, err error) {
	if req.Exact != nil {
		var exact WorkerRequest
		if err := gob.NewDecoder(bytes.NewReader(req.Exact)).Decode(&exact); err != nil {
			return false, fmt.Errorf("worker: reading the request: %w", err)
		}
		req = exact
	}
	if req.Ack {
		if _, err := io.WriteString(w, startedLine+"\n"); err != nil {
			return false, err
		}
	}
	if req.MaxMemory > 0 {
		// Files mapped to be read (the core, modules, debug files) are
		// not counted against it.
		if err := safefile.LimitAddressSpace(req.MaxMemory); err != nil {
			return false, fmt.Errorf("worker: setting the memory limit: %w", err)
		}
	}
	if d := req.Debuginfod; d != nil {
		req.Core.Debuginfod = &symbolize.Debuginfod{URLs: d.URLs, CacheDir: d.CacheDir, Timeout: d.Timeout}
	}
	opts := Options{Core: req.Core, BinaryDir: req.BinaryDir}
	row := analyzeRow(context.Background(), req.Path, opts)
	if last = footprint() > maxReusedFootprint; last {
		if _, err := io.WriteString(w, retiringLine+"\n"); err != nil {
			return true, err
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return last, enc.Encode(row)
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
	if opts.workers != nil {
		return opts.workers.ask(ctx, path, in, opts)
	}
	cmd := exec.CommandContext(ctx, iso.Command[0], iso.Command[1:]...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout capped
	stdout.max = maxWorkerOutput
	stderr := &capped{max: maxWorkerStderr}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	// Killed at the timeout (SIGKILL: a hung analysis does not get to
	// decide); Wait returns once the process is gone, and only then is
	// the job slot free.
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		// A grandchild kept standard error open past the worker's own
		// exit, a clean one (Run says so only then): that exit counts.
		err = nil
	}
	if ctx.Err() == context.DeadlineExceeded {
		return errorRow(path, fmt.Sprintf("timed out after %s (the analysis was killed)", opts.Timeout))
	}
	if err != nil {
		return errorRow(path, workerFailure(err, stderr.String(), iso.MaxMemory))
	}
	return answerRow(path, stdout.Bytes())
}

// answerRow is the row a worker answered for path.
func answerRow(path string, answer []byte) Row {
	row, _ := answerFor(path, answer)
	return row
}

// answerFor is answerRow and the path the answer gives (ServeWorker's is
// the path it was asked for).
func answerFor(path string, answer []byte) (row Row, answered string) {
	if err := json.Unmarshal(answer, &row); err != nil {
		return errorRow(path, fmt.Sprintf("internal error: the worker's answer: %v", err)), ""
	}
	if row.Diagnoses == nil {
		row.Diagnoses = []string{}
	}
	answered, row.Path = row.Path, path
	return row, answered
}

// jsonString is s as a JSON string decodes: its bytes that are not UTF-8
// become U+FFFD, as in a worker's answer.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}

// workerPool holds the reusable workers not analyzing a core now: at most
// one for each job slot, since a job takes one (or starts one) and gives
// it back when it is done.
type workerPool struct {
	mu   sync.Mutex
	idle []*workerProc
}

// workerProc is a running reusable worker.
type workerProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte // its answers; closed when its standard output ends
	stderr *capped
	uses   int // requests sent
	// last is set when it wrote retiringLine: it is ended after its answer.
	last bool
	// readErr is why its standard output ended early (a line too long),
	// set before lines is closed.
	readErr error
}

// ask analyzes path on an idle worker, or a new one: the request in, its
// row out. A worker that answered is given back; one that failed, timed
// out or sent what is not an answer is ended, and the row says why.
//
// A worker that served cores before and fails this one without an answer
// (it crashed, ran out of memory, exited: while this core was analyzed,
// or while it waited for it, as a process the kernel's OOM killer chose
// does) is not this core's answer: the core is analyzed again on a new
// worker, with a timeout of its own, and that one's row is the core's, as
// it would be with a worker for each core. A timeout is not tried again,
// unless the reused worker had not started on the core (it never read the
// request); the new worker has a timeout of its own, so such a core may
// take up to twice --timeout.
func (wp *workerPool) ask(ctx context.Context, path string, req []byte, opts Options) Row {
	iso := opts.Isolate
	p, err := wp.take(iso)
	if err != nil {
		return errorRow(path, fmt.Sprintf("the analysis could not be started: %v", err))
	}
	reused := p.uses > 0
	row, failed := wp.askOn(ctx, p, reused, path, req, opts)
	if !failed || !reused {
		return row
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), opts.Timeout)
		defer cancel()
	}
	if p, err = startWorker(iso); err != nil {
		return errorRow(path, fmt.Sprintf("the analysis could not be started: %v", err))
	}
	row, _ = wp.askOn(ctx, p, false, path, req, opts)
	return row
}

// askOn is ask on the worker p; failed says it gave no answer for this
// core: it ended, answered what is not one, or, reused, had not started
// on the core when the timeout came.
//
// A reused worker that gives no answer is killed at once: the core is
// analyzed again, and how the worker ended is not its reason.
func (wp *workerPool) askOn(ctx context.Context, p *workerProc, reused bool, path string, req []byte, opts Options) (row Row, failed bool) {
	iso := opts.Isolate
	p.uses++
	timedOut := func() Row {
		return errorRow(path, fmt.Sprintf("timed out after %s (the analysis was killed)", opts.Timeout))
	}
	// Killed (SIGKILL: a hung analysis does not get to decide) at the
	// timeout, whatever it is doing: reading the request (a request
	// larger than the pipe waits for the worker to read it), analyzing,
	// or exiting; the slot is free once it is gone.
	noAnswer := func(why string) (Row, bool) {
		if reused {
			p.end(ctx, true)
			return errorRow(path, "internal error: the worker ended without an answer"), true
		}
		err := p.end(ctx, why != "")
		if ctx.Err() != nil {
			return timedOut(), false
		}
		switch {
		case why != "":
			return errorRow(path, why), true
		case err == nil:
			return errorRow(path, "internal error: the worker ended without an answer"), true
		}
		return errorRow(path, workerFailure(err, p.stderr.String(), iso.MaxMemory)), true
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := p.stdin.Write(append(req, '\n'))
		wrote <- err
	}()
	// A reused worker that has not said it started on the core (Ack)
	// when the time is up never did: it stopped reading after its last
	// answer. The core is tried again.
	started := false
	expired := func() (Row, bool) {
		p.end(ctx, true)
		if reused && !started {
			return errorRow(path, "internal error: the worker did not start on the core"), true
		}
		return timedOut(), false
	}
	select {
	case err := <-wrote:
		if err != nil {
			return noAnswer("") // it ended before it read the request: its exit says why
		}
	case <-ctx.Done():
		return expired()
	}
	for {
		select {
		case line, ok := <-p.lines:
			if ok && !started && string(line) == startedLine {
				started = true
				continue
			}
			if ok && !p.last && string(line) == retiringLine {
				p.last = true
				continue
			}
			return wp.answered(ctx, p, path, line, ok, noAnswer)
		case <-ctx.Done():
			return expired()
		}
	}
}

// answered handles what askOn read for path: the answer line, or the end
// of the worker's output (ok false).
func (wp *workerPool) answered(ctx context.Context, p *workerProc, path string, line []byte, ok bool, noAnswer func(string) (Row, bool)) (Row, bool) {
	if !ok {
		if p.readErr != nil {
			return noAnswer(fmt.Sprintf("internal error: the worker's answer: %v", p.readErr))
		}
		return noAnswer("")
	}
	row, answered := answerFor(path, line)
	switch {
	case strings.HasPrefix(row.Error, "internal error: the worker's answer"):
		p.end(ctx, true)
		return row, true
	case answered != jsonString(path):
		// ServeWorker answers with the path it was asked: any other is
		// a line it wrote besides an answer, which has put the answers
		// a core behind.
		p.end(ctx, true)
		return errorRow(path, fmt.Sprintf("internal error: the worker's answer is for %q, not for this core", answered)), true
	case len(p.lines) > 0:
		// A second line for one request: the next core must not take
		// it for its answer.
		p.end(ctx, true)
	case p.last:
		p.end(ctx, false)
	default:
		wp.give(p)
	}
	return row, false
}

// take returns an idle worker, or starts one. An idle worker that wrote a
// line since its answer is ended: the next core must not take that line
// for its answer.
func (wp *workerPool) take(iso *Isolation) (*workerProc, error) {
	for {
		wp.mu.Lock()
		n := len(wp.idle)
		if n == 0 {
			wp.mu.Unlock()
			return startWorker(iso)
		}
		p := wp.idle[n-1]
		wp.idle = wp.idle[:n-1]
		wp.mu.Unlock()
		if len(p.lines) == 0 {
			return p, nil
		}
		p.end(context.Background(), true)
	}
}

// give puts p back for the next core, or ends it once it has served
// maxWorkerUses.
func (wp *workerPool) give(p *workerProc) {
	if p.uses >= maxWorkerUses {
		p.end(context.Background(), false)
		return
	}
	wp.mu.Lock()
	defer wp.mu.Unlock()
	wp.idle = append(wp.idle, p)
}

// close ends the idle workers: their standard input ends, and they exit
// (or are killed after workerGrace).
func (wp *workerPool) close() {
	wp.mu.Lock()
	idle := wp.idle
	wp.idle = nil
	wp.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range idle {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.end(context.Background(), false)
		}()
	}
	wg.Wait()
}

// workerGrace is how long a worker whose standard input ended has to exit
// before it is killed.
const workerGrace = time.Second

func startWorker(iso *Isolation) (*workerProc, error) {
	cmd := exec.Command(iso.Command[0], iso.Command[1:]...)
	p := &workerProc{cmd: cmd, lines: make(chan []byte, 1), stderr: &capped{max: maxWorkerStderr}}
	cmd.Stderr = p.stderr
	// A grandchild holding standard error open does not hold up Wait.
	cmd.WaitDelay = time.Second
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		defer close(p.lines)
		sc := lineScanner(out)
		for sc.Scan() {
			p.lines <- bytes.Clone(sc.Bytes())
		}
		switch err := sc.Err(); {
		case errors.Is(err, bufio.ErrTooLong):
			p.readErr = fmt.Errorf("a line longer than %d bytes", maxWorkerOutput)
		case err != nil && !errors.Is(err, os.ErrClosed):
			p.readErr = err
		}
	}()
	return p, nil
}

// end ends the worker and returns how it exited, once it is gone: killed
// now if kill, else its standard input ends and it has workerGrace to
// exit; killed at ctx's end in any case. Wait closes its standard output
// (a grandchild may hold it open), which ends the reader.
func (p *workerProc) end(ctx context.Context, kill bool) error {
	p.stdin.Close()
	if kill {
		p.cmd.Process.Kill()
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTimer(workerGrace)
		defer t.Stop()
		select {
		case <-stop:
		case <-t.C:
			p.cmd.Process.Kill()
		case <-ctx.Done():
			p.cmd.Process.Kill()
		}
	}()
	err := p.cmd.Wait()
	close(stop)
	for range p.lines { // what is left unread, until the reader ends
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		// A grandchild kept standard error open past the worker's own
		// exit, a clean one (Wait says so only then): that exit counts.
		return nil
	}
	return err
}

// workerRequest is what the worker for path is asked. The scan's
// directory indexes go along (the core's directory and --binary-dir,
// indexed by build-id once for all their cores); the worker adds the rest
// of coreOptions itself.
func workerRequest(path string, opts Options) WorkerRequest {
	req := WorkerRequest{Path: path, Core: opts.Core, BinaryDir: opts.BinaryDir, MaxMemory: opts.Isolate.MaxMemory, Ack: opts.workers != nil}
	if opts.index != nil {
		req.Core.SearchIndex = coreOptions(path, opts).SearchIndex
	}
	if d := opts.Core.Debuginfod; d != nil {
		req.Debuginfod = &DebuginfodConfig{URLs: d.URLs, CacheDir: d.CacheDir, Timeout: d.Timeout}
		req.Core.Debuginfod = nil
	}
	var exact bytes.Buffer
	if err := gob.NewEncoder(&exact).Encode(req); err == nil {
		req.Exact = exact.Bytes()
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
