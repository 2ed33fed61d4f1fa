package analyze

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/symbolize"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "coreview-gdb-index-")
	if err == nil {
		gdbIndexCache = dir
	}
	code := m.Run()
	testfixture.Cleanup()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// gdbIndexCache is the directory of gdb's index cache for every gdb run of
// the test binary ("" for none): gdb indexes a debug file's DWARF once
// (the fixtures' libc, this machine's libc6-dbg, python's) and the runs
// after read the index, which halved what gdb spends on the 40 fixture
// cores (8.1 → 3.9 s of CPU) with byte-identical frames.py output.
var gdbIndexCache string

// gdbCacheArgs are the gdb options that use gdbIndexCache.
func gdbCacheArgs() []string {
	if gdbIndexCache == "" {
		return nil
	}
	return []string{"-iex", "set index-cache directory " + gdbIndexCache, "-iex", "set index-cache enabled on"}
}

// options analyzes a fixture as the tests do: its binary, the shipped
// sysroot (with libc6-dbg's debug file under usr/lib/debug), and the
// fixture's directory for libraries built beside the program.
func options(f testfixture.Fixture) Options {
	return Options{Binary: f.Binary, Sysroot: testfixture.Sysroot(), SearchPaths: []string{f.Dir}}
}

// analyzeFixture analyzes a fixture's core as the tests do (options); the
// report is fixtureReport's, shared: read it, do not change it.
func analyzeFixture(t *testing.T, name string) (testfixture.Fixture, *report.Report) {
	t.Helper()
	f := testfixture.Get(t, name)
	return f, fixtureReport(t, f)
}

// fixtureReports holds one analysis of each fixture core per test binary:
// the golden, schema, gdb and signature tests all look at the same report
// of the same core, and analyzing the 36 fixtures once instead of five
// times is most of what they used to cost apart from gdb.
var fixtureReports sync.Map // fixture name → *cachedReport

type cachedReport struct {
	once sync.Once
	r    *report.Report
	err  error
}

// fixtureReport returns the shared report of the fixture's core, analyzed
// with options(f) the first time it is asked for. Callers must not change
// it; cloneReport gives a copy whose top-level slices can be changed.
func fixtureReport(t testing.TB, f testfixture.Fixture) *report.Report {
	t.Helper()
	v, _ := fixtureReports.LoadOrStore(f.Name, &cachedReport{})
	c := v.(*cachedReport)
	c.once.Do(func() { c.r, c.err = Analyze(f.CoreZst, options(f)) })
	if c.err != nil {
		t.Fatal(c.err)
	}
	return c.r
}

// cloneReport copies a report deeply enough for a test to rewrite its
// modules, warnings and threads' frame lists without touching the shared
// report.
func cloneReport(r *report.Report) *report.Report {
	c := *r
	c.Modules = slices.Clone(r.Modules)
	c.Warnings = slices.Clone(r.Warnings)
	c.Threads = slices.Clone(r.Threads)
	return &c
}

// gdbSource is a source position as gdb reports it.
type gdbSource struct {
	Name     *string `json:"name"`
	File     *string `json:"file"`
	Fullname *string `json:"fullname"`
	Line     int     `json:"line"`
}

// gdbInlined is an inline frame, or a tail-call frame (Tailcall, with its
// own pc, sp and minimal symbol), that gdb lists before a physical frame.
type gdbInlined struct {
	gdbSource
	Tailcall bool    `json:"tailcall"`
	PC       string  `json:"pc"`
	SP       string  `json:"sp"`
	Msym     *string `json:"msym"`
}

// gdbThread is one thread as testdata/gdb/frames.py prints it.
type gdbThread struct {
	TID        int    `json:"tid"`
	Crashed    bool   `json:"crashed"`
	StopReason string `json:"stop_reason"`
	Tailcalls  int    `json:"tailcalls"`
	Frames     []struct {
		Level int     `json:"level"`
		PC    string  `json:"pc"`
		SP    string  `json:"sp"`
		Name  *string `json:"name"`
		Msym  *string `json:"msym"`
		Type  string  `json:"type"`
		gdbSource
		Inlined []gdbInlined `json:"inlined"`
	} `json:"frames"`
}

// gdbFrames returns gdb's threads of a fixture's raw core, read with the
// fixture's binary and the shipped sysroot: gdb reads separate debug files
// from the sysroot's usr/lib/debug, as coreview does, and libraries built
// beside the program from the fixture's directory. gdb runs over all the
// fixture cores once per test binary (TestUnwindMatchesGDB and
// TestOverflowMatchesGDB read the same threads), in two gdb processes that
// each load their cores in turn (frames.py's COREVIEW_GDB_BATCH): the
// threads are byte for byte those of one gdb per core, for 8.7 s of CPU
// instead of 13.8 on the 40 fixtures.
func gdbFrames(t *testing.T, gdb string, f testfixture.Fixture, core string) []gdbThread {
	t.Helper()
	fixtures := testfixture.All(t)
	cores := make([]string, len(fixtures))
	for i, fx := range fixtures {
		cores[i] = fx.RawCore(t)
	}
	fixtureGDB.Do(func() { gdbFixtureBatches(gdb, fixtures, cores) })
	v, ok := gdbRuns.Load(core)
	if !ok {
		t.Fatalf("gdb did not run on %s", core)
	}
	run := v.(*gdbRun)
	if run.err != nil {
		t.Fatal(run.err)
	}
	return run.threads
}

var fixtureGDB sync.Once

var gdbRuns sync.Map // raw core path → *gdbRun

type gdbRun struct {
	once    sync.Once
	threads []gdbThread
	out     string // what gdb printed, for the commands run before frames.py
	err     error
}

// gdbFixtureBatches runs gdb on the fixture cores in two concurrent
// batches and records each core's threads, or its failure, in gdbRuns.
func gdbFixtureBatches(gdb string, fixtures []testfixture.Fixture, cores []string) {
	jobs := make([]gdbJob, len(fixtures))
	for i, f := range fixtures {
		jobs[i] = gdbJob{Binary: f.Binary, LibDir: f.Dir, Core: cores[i]}
	}
	for i, res := range gdbBatches(gdb, testfixture.Sysroot(), jobs) {
		run := &gdbRun{threads: res.threads, err: res.err}
		run.once.Do(func() {})
		gdbRuns.Store(cores[i], run)
	}
}

// gdbJob is one core for gdbBatches: the program, the directory of
// libraries built beside it ("" for none) and the core.
type gdbJob struct {
	Binary string `json:"binary"`
	LibDir string `json:"lib_dir"`
	Core   string `json:"core"`
	Out    string `json:"out"` // set by gdbBatches
}

// gdbResult is gdb's threads of one gdbJob's core, or why there are none.
type gdbResult struct {
	threads []gdbThread
	err     error
}

// gdbBatches runs frames.py on the jobs' cores with the given sysroot, as
// gdbFramesOf does for one, in two concurrent gdb processes that each load
// their cores in turn (COREVIEW_GDB_BATCH), and returns each job's result in
// order. Starting gdb and reading the libraries' debug information anew
// for each core was about a third of a gdb run.
func gdbBatches(gdb, sysroot string, jobs []gdbJob) []gdbResult {
	results := make([]gdbResult, len(jobs))
	dir, err := os.MkdirTemp("", "coreview-gdb-")
	if err != nil {
		for i := range results {
			results[i].err = err
		}
		return results
	}
	defer os.RemoveAll(dir)
	const batches = 2
	var wg sync.WaitGroup
	for b := range batches {
		var mine []int
		var batch []gdbJob
		for i := b; i < len(jobs); i += batches {
			j := jobs[i]
			j.Out = filepath.Join(dir, fmt.Sprintf("%d.json", i))
			mine, batch = append(mine, i), append(batch, j)
		}
		if len(batch) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			list := filepath.Join(dir, fmt.Sprintf("batch%d.json", b))
			data, err := json.Marshal(batch)
			if err == nil {
				err = os.WriteFile(list, data, 0o644)
			}
			var out []byte
			if err == nil {
				args := []string{"-batch", "-nx",
					"-iex", "set debug-file-directory " + filepath.Join(sysroot, "usr", "lib", "debug"),
					"-iex", "set debuginfod enabled off"}
				args = append(args, gdbCacheArgs()...)
				cmd := exec.Command(gdb, append(args,
					"-ex", "set sysroot "+sysroot,
					"-x", filepath.Join(testfixture.Root(), "testdata", "gdb", "frames.py"))...)
				cmd.Env = append(os.Environ(), "COREVIEW_GDB_BATCH="+list)
				if out, err = cmd.CombinedOutput(); err != nil {
					err = fmt.Errorf("gdb: %v\n%s", err, out)
				}
			}
			for k, j := range batch {
				res := &results[mine[k]]
				if err != nil {
					res.err = err
					continue
				}
				var doc struct {
					Threads []gdbThread `json:"threads"`
					Error   string      `json:"error"`
				}
				data, rerr := os.ReadFile(j.Out)
				if rerr == nil {
					rerr = json.Unmarshal(data, &doc)
				}
				switch {
				case rerr != nil:
					res.err = fmt.Errorf("gdb output for %s: %v\n%s", j.Core, rerr, out)
				case doc.Error != "":
					res.err = fmt.Errorf("gdb on %s: %s", j.Core, doc.Error)
				default:
					res.threads = doc.Threads
				}
			}
		}()
	}
	wg.Wait()
	return results
}

// gdbFramesOf runs gdb on a core with the given binary and sysroot ("/"
// for a core of this machine), separate debug files from the sysroot's
// usr/lib/debug and, if libDir is set, libraries from there; it returns
// gdb's threads.
func gdbFramesOf(t *testing.T, gdb, binary, sysroot, libDir, core string) []gdbThread {
	t.Helper()
	threads, _, err := gdbFramesErr(gdb, binary, sysroot, libDir, core)
	if err != nil {
		t.Fatal(err)
	}
	return threads
}

// gdbFramesErr is gdbFramesOf returning its failure. The commands in pre
// run after the core is loaded and before frames.py, with the thread that
// dumped core selected; gdb's output (theirs included) is returned, so one
// gdb run answers a test's other questions about the core too.
func gdbFramesErr(gdb, binary, sysroot, libDir, core string, pre ...string) ([]gdbThread, string, error) {
	script := filepath.Join(testfixture.Root(), "testdata", "gdb", "frames.py")
	dir, err := os.MkdirTemp("", "coreview-gdb-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "gdb.json")
	args := []string{"-batch", "-nx",
		"-iex", "set debug-file-directory " + filepath.Join(sysroot, "usr", "lib", "debug"),
		"-iex", "set debuginfod enabled off"}
	args = append(args, gdbCacheArgs()...)
	args = append(args,
		"-ex", "set sysroot "+sysroot,
		"-ex", "set solib-search-path "+libDir,
		"-ex", "file "+binary,
		"-ex", "core-file "+core)
	for _, c := range pre {
		args = append(args, "-ex", c)
	}
	cmd := exec.Command(gdb, append(args, "-x", script)...)
	cmd.Env = append(os.Environ(), "COREVIEW_GDB_OUT="+out)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return nil, "", fmt.Errorf("gdb: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, "", err
	}
	var res struct {
		Threads []gdbThread `json:"threads"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, "", fmt.Errorf("gdb output: %v", err)
	}
	return res.Threads, string(b), nil
}

// dropBogus removes frames gdb invented: a caller frame whose PC does not
// follow a call instruction cannot be a return address. gdb makes such
// frames when a function has no CFI and its prologue analysis takes a
// stale stack slot for the return address (seen on Rust's generated C
// main with panic = "abort"). Each dropped frame is logged.
func dropBogus(t *testing.T, s *Session, wt gdbThread) gdbThread {
	out := wt
	out.Frames = nil
	prevSig, prevSigpanic := false, false
	for i, f := range wt.Frames {
		pc, _ := strconv.ParseUint(f.PC, 0, 64)
		// A PC in no executable mapping is checked first: the bytes
		// before a stack address can read as a call (gdb's frame #7 of
		// a JVM thread, 0x7f7bff702928, 8 bytes below its own SP, did
		// once in four runs of the jvm-null class).
		if i > 0 && !prevSig && !prevSigpanic && f.Type == "NORMAL_FRAME" && (!s.Mem.Executable(pc) || !afterCall(s.Mem, pc)) && !goPlanted(f.Msym) {
			t.Logf("thread %d: gdb's frame #%d (pc %s, %v) is not after a call instruction in code; gdb invented it", wt.TID, i, f.PC, deref(f.Msym))
			if !s.Mem.Executable(pc) {
				// A PC in no code at all (a stack address, past
				// runtime.systemstack into g0's stale words): gdb
				// found the frames above it from this one's guessed
				// registers, so they are guesses too.
				t.Logf("thread %d: gdb's frame #%d is in no code: its %d frames above it are not compared", wt.TID, i, len(wt.Frames)-i-1)
				out.StopReason = "invented a frame (corrupt stack?)"
				return out
			}
			if i == len(wt.Frames)-1 {
				// gdb's walk ended in an invented frame: it lost
				// the stack there, and coreview may go further.
				out.StopReason = "invented a frame (corrupt stack?)"
			}
			continue
		}
		prevSig = f.Type == "SIGTRAMP_FRAME"
		// The frame under Go's runtime.sigpanic is at the faulting PC,
		// which Go's signal handler pushed as a return address: real,
		// though not after a call.
		prevSigpanic = f.Msym != nil && goName(*f.Msym) == "runtime.sigpanic"
		out.Frames = append(out.Frames, f)
	}
	return out
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return "??"
	}
	return *s
}

// gdbGaveUp reports whether gdb stopped because it judged the stack
// corrupt, where coreview is expected to go further (a psm stack switch
// moves the CFA to another mapping, which gdb's inner-frame check rejects).
func gdbGaveUp(reason string) bool {
	return strings.Contains(reason, "corrupt stack")
}

// TestUnwindMatchesGDB is the differential test: for every fixture core and
// every thread, coreview's frames have the same PCs and stack pointers as
// gdb's, and the same function names where gdb has one.
func TestUnwindMatchesGDB(t *testing.T) {
	gdb := testfixture.Tool(t, "gdb")
	t.Parallel()
	for _, f := range testfixture.All(t) {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			core := f.RawCore(t)
			want := gdbFrames(t, gdb, f, core)
			compareWithGDB(t, want, fixtureReport(t, f), core, options(f))
		})
	}
}

// compareWithGDB checks a report against gdb's threads: the same threads,
// the same crashed one, and each thread's frames (compareThread), once the
// frames gdb invented are dropped.
func compareWithGDB(t *testing.T, want []gdbThread, r *report.Report, core string, opts Options) {
	t.Helper()
	// One session reads the code bytes for every thread's dropBogus.
	s, err := Open(core, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[int]*report.Thread{}
	for i := range r.Threads {
		got[r.Threads[i].TID] = &r.Threads[i]
	}
	if len(want) != len(r.Threads) {
		t.Errorf("gdb has %d threads, coreview %d", len(want), len(r.Threads))
	}
	for _, wt := range want {
		th := got[wt.TID]
		if th == nil {
			t.Errorf("thread %d: missing", wt.TID)
			continue
		}
		if wt.Crashed != th.Crashed {
			t.Errorf("thread %d: crashed = %v, gdb says %v", wt.TID, th.Crashed, wt.Crashed)
		}
		if wt.Tailcalls > 0 {
			t.Logf("thread %d: gdb shows %d tail-call frames (rebuilt from DWARF call sites), compared with coreview's", wt.TID, wt.Tailcalls)
		}
		compareThread(t, dropBogus(t, s, wt), th)
		t.Logf("thread %d: %d frames, gdb %d", wt.TID, len(th.Frames), len(wt.Frames))
	}
}

func compareThread(t *testing.T, wt gdbThread, th *report.Thread) {
	t.Helper()
	n := len(wt.Frames)
	if gdbGaveUp(wt.StopReason) {
		if len(th.Frames) < n {
			t.Errorf("thread %d: gdb stopped (%s) after %d frames; coreview has only %d", wt.TID, wt.StopReason, n, len(th.Frames))
			n = len(th.Frames)
		} else {
			t.Logf("thread %d: gdb stopped after %d frames (%s); coreview went on to %d (%s)", wt.TID, n, wt.StopReason, len(th.Frames), th.EndReason)
		}
	} else if len(th.Frames) != n {
		t.Errorf("thread %d: %d frames, gdb has %d (gdb stopped: %q; coreview: %s %s)", wt.TID, len(th.Frames), n, wt.StopReason, th.EndReason, th.EndDetail)
		n = min(n, len(th.Frames))
	}
	bad := 0
	for i := 0; i < n && bad < 5; i++ {
		wf, f := wt.Frames[i], th.Frames[i]
		if i > 0 && wf.Msym == nil && report.GoFunc(th.Frames[i-1].Function) == "runtime.sigpanic" && !th.Frames[i-1].Signal {
			// Go's signal handler pushed the faulting PC as the return
			// address of runtime.sigpanic: gdb looks up pc-1, which lies
			// before the faulting function, and names nothing; coreview
			// looks up the PC itself (build.go).
			t.Logf("thread %d frame #%d: %s at the faulting pc, gdb ?? (it looks up pc-1)", wt.TID, i, f.Function)
			wf.gdbSource, wf.Inlined = gdbSource{File: nilIfEmpty(f.File), Line: f.Line}, nil
			f.Function, f.Inlined = "", nil
		}
		pc, _ := strconv.ParseUint(wf.PC, 0, 64)
		sp, _ := strconv.ParseUint(wf.SP, 0, 64)
		var problems []string
		if uint64(f.PC) != pc {
			problems = append(problems, fmt.Sprintf("pc %#x, gdb %#x", uint64(f.PC), pc))
		}
		if uint64(f.SP) != sp {
			problems = append(problems, fmt.Sprintf("sp %#x, gdb %#x", uint64(f.SP), sp))
		}
		if (wf.Type == "SIGTRAMP_FRAME") != f.Signal {
			problems = append(problems, fmt.Sprintf("signal frame = %v, gdb type %s", f.Signal, wf.Type))
		}
		if wf.Type == "NORMAL_FRAME" && wf.Msym != nil && !sameFunction(*wf.Msym, f.Function) {
			problems = append(problems, fmt.Sprintf("function %q, gdb %q", f.Function, *wf.Msym))
		}
		if wf.Type == "NORMAL_FRAME" && wf.Msym == nil && f.Function != "" {
			problems = append(problems, fmt.Sprintf("function %q, gdb has no symbol", f.Function))
		}
		if wf.Type != "SIGTRAMP_FRAME" {
			// coreview prints a signal frame as <signal handler
			// called>, without the trampoline's source position
			// (gdb has one for Go's runtime.sigreturn__sigaction).
			problems = append(problems, compareSource(wf.gdbSource, wf.Inlined, &f)...)
		}
		if len(problems) > 0 {
			bad++
			t.Errorf("thread %d frame #%d: %s", wt.TID, i, strings.Join(problems, "; "))
		}
	}
}

// compareSource checks a physical frame's source position and the frames
// inlined into it against gdb's: the same number of inlined frames, the
// same file and line for each, and the same function (see sameInlined).
func compareSource(want gdbSource, wantInl []gdbInlined, f *report.Frame) []string {
	var problems []string
	if !sameFile(want, f.File) || want.Line != f.Line {
		problems = append(problems, fmt.Sprintf("source %s:%d, gdb %s:%d", f.File, f.Line, deref(want.File), want.Line))
	}
	if len(wantInl) != len(f.Inlined) {
		var got, exp []string
		for _, in := range f.Inlined {
			got = append(got, in.Function)
		}
		for _, in := range wantInl {
			exp = append(exp, deref(in.Name))
		}
		return append(problems, fmt.Sprintf("%d inlined frames %q, gdb %d %q", len(f.Inlined), got, len(wantInl), exp))
	}
	for k, w := range wantInl {
		in := &f.Inlined[k]
		if w.Tailcall != (in.Method == report.MethodTailCall) {
			problems = append(problems, fmt.Sprintf("inlined #%d: %s by %s, gdb tail call %v", k, in.Function, in.Method, w.Tailcall))
			continue
		}
		if w.Tailcall {
			pc, _ := strconv.ParseUint(w.PC, 0, 64)
			sp, _ := strconv.ParseUint(w.SP, 0, 64)
			if uint64(in.PC) != pc || uint64(in.SP) != sp {
				problems = append(problems, fmt.Sprintf("tail call #%d pc %#x sp %#x, gdb %#x %#x", k, uint64(in.PC), uint64(in.SP), pc, sp))
			}
			// gdb names a tail-call frame by the innermost function
			// at pc-1, its minimal symbol is the ELF symbol there.
			if w.Name != nil && !sameInlined(*w.Name, in.Function) {
				problems = append(problems, fmt.Sprintf("tail call #%d function %q, gdb %q", k, in.Function, *w.Name))
			}
			// (Symbol is the ELF symbol as it is; gdb's minimal symbol
			// is demangled.)
			if w.Msym != nil && !sameFunction(*w.Msym, in.Symbol) && !sameFunction(*w.Msym, dropCloneNumber(in.Symbol)) &&
				!sameFunction(*w.Msym, symbolize.Demangle(in.Symbol)) {
				problems = append(problems, fmt.Sprintf("tail call #%d symbol %q, gdb %q", k, in.Symbol, *w.Msym))
			}
		}
		if !sameFile(w.gdbSource, in.File) || w.Line != in.Line {
			problems = append(problems, fmt.Sprintf("inlined #%d source %s:%d, gdb %s:%d", k, in.File, in.Line, deref(w.File), w.Line))
		}
		if !w.Tailcall && w.Name != nil && !sameInlined(*w.Name, in.Function) {
			problems = append(problems, fmt.Sprintf("inlined #%d function %q, gdb %q", k, in.Function, *w.Name))
		}
	}
	return problems
}

// sameFile compares coreview's file with gdb's. gdb's "filename" is the
// name as the line table records it (relative to the compilation
// directory, "./stdlib/msort.c" or "weights.c"); its "fullname" joins the
// compilation directory. coreview gives the line table's name joined with
// its directory; it must equal one of gdb's or end with the recorded one.
func sameFile(want gdbSource, got string) bool {
	if want.File == nil {
		return got == ""
	}
	g := filepath.Clean(got)
	rec := filepath.Clean(*want.File)
	if g == rec || strings.HasSuffix(g, "/"+strings.TrimPrefix(rec, "./")) {
		return true
	}
	return want.Fullname != nil && g == filepath.Clean(*want.Fullname)
}

// sameInlined compares an inlined function's name. gdb builds it from the
// DWARF tree (Rust: "core::iter::traits::accum::{impl#40}::sum::{closure#0}<…>");
// coreview demangles the linkage name, as eu-stack and Rust's own
// backtraces do ("<u64 as core::iter::traits::accum::Sum>::sum::{{closure}}").
// Both must name the same function: the last path segment that is not a
// closure, generic arguments left out.
func sameInlined(gdbName, ours string) bool {
	return functionBase(gdbName) == functionBase(ours)
}

func functionBase(s string) string {
	// Drop every <…> group (generic arguments, qualified self types).
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '<':
			depth++
		case r == '>' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	parts := strings.Split(b.String(), "::")
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		if p == "" || strings.HasPrefix(p, "{closure") || strings.HasPrefix(p, "{{closure") {
			continue
		}
		if j := strings.IndexByte(p, '('); j > 0 {
			p = p[:j] // C++ parameters
		}
		return p
	}
	return s
}

// goName turns gdb's form of a Go symbol, "runtime[dieFromSignal]" (its Go
// demangler splits the package path from the name), back into the
// symbol, "runtime.dieFromSignal".
func goName(gdbName string) string {
	if m := goBracket.FindStringSubmatch(gdbName); m != nil {
		return m[1] + "." + m[2]
	}
	return gdbName
}

var (
	goBracket     = regexp.MustCompile(`^([A-Za-z0-9_./-]+)\[([A-Za-z0-9_.]+)\]$`)
	rustHash      = regexp.MustCompile(`::h[0-9a-f]{16}$`)
	disambiguator = regexp.MustCompile(`\[[0-9a-f]+\]`)
	constType     = regexp.MustCompile(`: (i8|i16|i32|i64|i128|isize|u8|u16|u32|u64|u128|usize|bool|char)\b`)
)

// sameFunction compares gdb's minimal symbol with coreview's function name.
// gdb keeps Rust legacy hashes ("::h0123…"), v0 crate disambiguators
// ("rustc_parse[7d6b5aa6d0e1ae03]") and the types of v0 constants
// ("<8: usize>"), which coreview leaves out, as rustfilt does; otherwise
// the names must be equal.
func sameFunction(gdbName, ours string) bool {
	g := rustHash.ReplaceAllString(gdbName, "")
	g = constType.ReplaceAllString(disambiguator.ReplaceAllString(g, ""), "")
	// gdb's Go names (runtime[dieFromSignal]) are compared as symbols;
	// gdb's C "parse[cold]" is left alone by comparing both forms. gdb's
	// gccgo demangler reads "__" as a package separator in a program it
	// takes for Go: node's uv__io_poll prints as uv.io_poll.
	return g == ours || goName(g) == ours || strings.Contains(ours, "__") && g == strings.ReplaceAll(ours, "__", ".")
}

// afterCall is the call-site rule of the unwinder and the diagnoses.
func afterCall(mem x86.Reader, ra uint64) bool {
	_, ok := x86.CallBefore(mem, ra)
	return ok
}

// goPlanted reports whether gdb's frame is runtime.goexit, whose return
// address the Go runtime plants at the bottom of every goroutine's stack
// (goexit+1, after a NOP): a real frame, though no call precedes it.
func goPlanted(msym *string) bool {
	return msym != nil && (*msym == "runtime.goexit" || *msym == "runtime.goexit.abi0")
}

// dropCloneNumber drops the numbered suffix GCC gives a clone's symbol
// ("do_futex_wait.constprop.0"), which gdb's demangler leaves out when it
// prints a minimal symbol.
func dropCloneNumber(sym string) string {
	i := strings.LastIndexByte(sym, '.')
	if i < 0 || i == len(sym)-1 {
		return sym
	}
	for _, r := range sym[i+1:] {
		if r < '0' || r > '9' {
			return sym
		}
	}
	return sym[:i]
}
