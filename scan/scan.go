package scan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/coreinput"
	"github.com/coreview/coreview/internal/parallel"
	"github.com/coreview/coreview/report"
)

// Options control a scan of crash directories.
type Options struct {
	Dirs      []string
	Recursive bool
	Jobs      int           // parallel analyses; 0: the number of CPUs
	Timeout   time.Duration // per core; 0: none
	// Core holds the options every core's analysis starts from (Binary:
	// the executable for every core; one Debuginfod serves the whole
	// scan). BinaryDir is searched for each core's executable and
	// libraries by build-id, then by name, after the core's directory.
	Core      analyze.Options
	BinaryDir string
	// Progress, if set, is called when a core's analysis starts and when
	// it ends, with the number of cores done and a core being analyzed
	// now ("" when none is).
	Progress func(done, total int, current string)
	// Isolate, if set, analyzes each core in a worker process (see
	// Isolation); else in this process, where a timed-out analysis is
	// cancelled but a crash or an out-of-memory is everyone's.
	Isolate *Isolation
	// OnRow, if set, is given each row as soon as it and every row before
	// it (in path order) are done: rows stream in the order the result
	// lists them, whatever order the analyses finish in.
	OnRow func(Row)

	index   *dirIndex   // search directories indexed by build-id, once per scan
	workers *workerPool // idle reusable workers (Isolation.Reuse), once per scan
}

// FailOnSnapshot is the --fail-on value that makes snapshot cores count.
const FailOnSnapshot = "snapshot"

// Row is one core's line in a scan.
type Row struct {
	Path        string `json:"path"`
	Compression string `json:"compression,omitempty"`
	Exe         string `json:"exe,omitempty"`
	PID         int    `json:"pid,omitempty"`
	Signal      string `json:"signal,omitempty"`
	// Snapshot is set for a core of a running process (gcore): not a
	// crash, counted apart and not failed on unless --fail-on snapshot.
	Snapshot      bool     `json:"snapshot,omitempty"`
	Diagnoses     []string `json:"diagnoses"`
	Summary       string   `json:"summary,omitempty"`
	Signature     string   `json:"signature,omitempty"`
	SignatureHash string   `json:"signature_hash,omitempty"`
	Frames        []string `json:"frames,omitempty"`
	// Stack is the crashed thread's meaningful frames, the ones the
	// signature is made of; the first is where the crash is (scan's TOP
	// FRAME, SARIF's location).
	Stack    []report.Location `json:"stack,omitempty"`
	Warnings int               `json:"warnings,omitempty"`
	Error    string            `json:"error,omitempty"`
	// Systemd is what systemd-coredump recorded in the core's file name
	// and extended attributes.
	Systemd *report.Systemd `json:"systemd,omitempty"`
	// Seconds is how long the core's analysis took.
	Seconds float64 `json:"seconds,omitempty"`
	// Job is, after Merge, the JSON Lines file the core came from.
	Job string `json:"job,omitempty"`
	// Baseline is, with a baseline, BaselineKnown or BaselineNew.
	Baseline string `json:"baseline,omitempty"`
}

// Group is every core that shares one crash signature.
type Group struct {
	Signature     string   `json:"signature"`
	SignatureHash string   `json:"signature_hash"`
	Count         int      `json:"count"`
	Diagnosis     string   `json:"diagnosis"`
	Summary       string   `json:"summary"`
	FirstCore     string   `json:"first_core"`
	Frames        []string `json:"frames"`
	Cores         []string `json:"cores"`
	// Stack is the first core's Stack.
	Stack []report.Location `json:"stack,omitempty"`
	// Jobs are, after Merge, the JSON Lines files whose cores hit it.
	Jobs []string `json:"jobs,omitempty"`
	// Baseline is, with a baseline, BaselineKnown or BaselineNew.
	Baseline string `json:"baseline,omitempty"`
}

// Result is a whole scan.
type Result struct {
	Rows   []Row   `json:"cores"`
	Groups []Group `json:"groups"`
	Errors int     `json:"errors"`
	// New counts, with a baseline, the groups it does not hold.
	New *int `json:"new,omitempty"`
	// Started and Elapsed are when the scan began and how long it took
	// (JUnit's timestamp and time); zero after Merge.
	Started time.Time     `json:"-"`
	Elapsed time.Duration `json:"-"`
	// baselined is set once ApplyBaseline has marked the rows.
	baselined bool
	// Snapshots groups the snapshot cores (Row.Snapshot) by signature,
	// apart from the crashes in Groups.
	Snapshots []Group `json:"snapshots"`
}

// Run analyzes every core under the directories, in parallel, each one
// isolated: an error, a panic or a timeout becomes that core's row.
func Run(opts Options) (*Result, error) {
	paths, unreadable, err := findCores(opts.Dirs, opts.Recursive)
	if err != nil {
		return nil, err
	}
	res, err := runPaths(paths, opts)
	if err != nil {
		return nil, err
	}
	if len(unreadable) > 0 {
		// Files that look like cores but could not be read are rows
		// too, in path order with the others.
		res.Rows = append(res.Rows, unreadable...)
		sort.SliceStable(res.Rows, func(i, j int) bool { return res.Rows[i].Path < res.Rows[j].Path })
		res.Errors = 0
		res.group()
	}
	return res, nil
}

// runPaths analyzes the cores at paths, in parallel.
func runPaths(paths []string, opts Options) (*Result, error) {
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	rows := make([]Row, len(paths))
	started := time.Now()
	if opts.index == nil {
		opts.index = &dirIndex{dirs: map[string]*indexedDir{}}
	}
	if opts.Isolate != nil && opts.Isolate.Reuse && opts.workers == nil {
		opts.workers = &workerPool{}
		defer opts.workers.close()
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		done    int
		running []string // cores being analyzed, oldest first
	)
	progress := func(start bool, p string) {
		if opts.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if start {
			running = append(running, p)
		} else {
			done++
			for k, q := range running {
				if q == p {
					running = append(running[:k], running[k+1:]...)
					break
				}
			}
		}
		current := ""
		if len(running) > 0 {
			current = running[len(running)-1]
		}
		opts.Progress(done, len(paths), current)
	}
	finished := make([]bool, len(paths))
	next := 0 // rows before next have gone to OnRow
	emit := func(i int) {
		mu.Lock()
		defer mu.Unlock()
		finished[i] = true
		for opts.OnRow != nil && next < len(rows) && finished[next] {
			opts.OnRow(rows[next])
			next++
		}
	}
	sem := make(chan struct{}, jobs)
	for _, i := range largestFirst(paths) {
		p := paths[i]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			progress(true, p)
			start := time.Now()
			if opts.Isolate != nil {
				rows[i] = runWorker(p, opts)
			} else {
				rows[i] = scanOne(p, opts)
			}
			rows[i].Seconds = time.Since(start).Seconds()
			emit(i)
			progress(false, p)
		}()
	}
	wg.Wait()
	res := &Result{Rows: rows, Started: started, Elapsed: time.Since(started)}
	res.group()
	return res, nil
}

// largestFirst returns the indices of paths, the largest core first (ties
// and files that cannot be stat'ed keep their order, the latter last): the
// analysis of a core costs roughly its size, and a large one started last
// runs alone while the other workers idle. A compressed core's size is
// the one its stream declares, when larger than the file: decompressing
// is most of its cost (the c-threads fixture is 44 KB of zstd and 473 MB
// of core), and systemd-coredump stores every core compressed. Rows keep
// the paths' order.
func largestFirst(paths []string) []int {
	size := make([]int64, len(paths))
	order := make([]int, len(paths))
	for i := range paths {
		order[i] = i
	}
	parallel.Each(len(paths), func(i int) {
		if fi, err := os.Stat(paths[i]); err == nil {
			size[i] = fi.Size()
			if n, ok := coreinput.DeclaredSize(paths[i]); ok {
				size[i] = max(size[i], n)
			}
		}
	})
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	return order
}

func scanOne(path string, opts Options) Row {
	ctx := context.Background()
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	ch := make(chan Row, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- Row{Path: path, Diagnoses: []string{}, Error: fmt.Sprintf("internal error: %v", r)}
			}
		}()
		ch <- analyzeRow(ctx, path, opts)
	}()
	select {
	case row := <-ch:
		return row
	case <-ctx.Done():
		return Row{Path: path, Diagnoses: []string{}, Error: fmt.Sprintf("timed out after %s", opts.Timeout)}
	}
}

// coreOptions are the analysis options for one core of a scan. Its
// executable (and libraries) are looked for in this order: --binary for
// all; a file named "bin" beside the core; the core's directory, by
// build-id then by the file's name; --binary-dir, by build-id then name;
// the paths the core names, under --sysroot. A file that does not match
// the core (build-id, or the dumped ELF headers) loses to any later one
// that does.
func coreOptions(path string, opts Options) analyze.Options {
	aopts := opts.Core
	aopts.SearchPaths = append([]string(nil), opts.Core.SearchPaths...)
	dir := filepath.Dir(path)
	if aopts.Binary == "" {
		if st, err := os.Stat(filepath.Join(dir, "bin")); err == nil && st.Mode().IsRegular() {
			aopts.Binary = filepath.Join(dir, "bin")
		}
	}
	aopts.SearchPaths = append(aopts.SearchPaths, dir)
	if opts.BinaryDir != "" {
		aopts.SearchPaths = append(aopts.SearchPaths, opts.BinaryDir)
	}
	if opts.index != nil {
		aopts.SearchIndex = map[string]map[string]string{}
		for _, d := range aopts.SearchPaths {
			aopts.SearchIndex[d] = opts.index.get(d)
		}
	}
	return aopts
}

// analyzeRow finds the core's executable (see coreOptions) and analyzes
// the core; ctx ends the analysis early (scan --timeout).
func analyzeRow(ctx context.Context, path string, opts Options) Row {
	row := Row{Path: path, Diagnoses: []string{}}
	s, err := analyze.OpenContext(ctx, path, coreOptions(path, opts))
	if err != nil {
		row.Error = err.Error()
		return row
	}
	defer s.Close()
	r, err := s.Analyze()
	if err != nil {
		return Row{Path: path, Diagnoses: []string{}, Error: err.Error()}
	}
	if r.Stored != nil {
		row.Compression, row.Systemd = r.Stored.Compression, r.Stored.Systemd
	}
	row.Exe, row.PID = r.Process.Exe, r.Process.PID
	row.Snapshot = r.Snapshot
	if r.Signal != nil {
		row.Signal = r.Signal.Name
	}
	for _, d := range r.Diagnosis {
		row.Diagnoses = append(row.Diagnoses, string(d.Kind))
	}
	if len(r.Diagnosis) > 0 {
		row.Summary = r.Diagnosis[0].Summary
	}
	row.Signature, row.SignatureHash = r.Signature, r.SignatureHash
	row.Frames = topFrames(r, 5)
	row.Stack = r.CrashStack(5)
	row.Warnings = len(r.Warnings)
	// Without the right executable the frames, and so the signature,
	// would be wrong: such a core is an error row, not a crash group.
	for _, m := range r.Modules {
		if m.Path != r.Process.Exe {
			continue
		}
		switch m.Status {
		case report.StatusMissing:
			row.Error = fmt.Sprintf("executable %s not found (use --binary or --binary-dir)", m.Path)
		case report.StatusMismatch:
			why := fmt.Sprintf("build-id %s, core %s", m.BuildID, m.CoreBuildID)
			if m.CoreBuildID == "" {
				why = "the core has no build-id, and the file's segments do not fit its mappings"
			}
			row.Error = fmt.Sprintf("executable %s: %s does not match the core (%s)", m.Path, m.File, why)
		}
		if row.Error != "" {
			row.Signature, row.SignatureHash, row.Stack = "", "", nil
		}
	}
	return row
}

// topFrames returns the crashed thread's first n frames as text.
func topFrames(r *report.Report, n int) []string {
	var out []string
	t := r.CrashedThread()
	if t == nil && r.Snapshot && len(r.Threads) > 0 {
		t = &r.Threads[0] // the thread the snapshot's writer stopped first
	}
	if t == nil {
		return nil
	}
	for _, f := range t.Frames {
		if len(out) == n {
			break
		}
		if f.Signal {
			out = append(out, "<signal handler called>")
		} else {
			out = append(out, f.Name())
		}
	}
	return out
}

// group collects rows by signature, most frequent first. Groups is never
// nil, so JSON says [] when nothing crashed, as consumers expect an array.
func (res *Result) group() {
	res.Groups, res.Snapshots = []Group{}, []Group{}
	idx, snapIdx := map[string]int{}, map[string]int{}
	for _, row := range res.Rows {
		if row.Error != "" && row.SignatureHash == "" {
			res.Errors++
			continue
		}
		if row.Error != "" {
			res.Errors++
		}
		groups, index := &res.Groups, idx
		if row.Snapshot {
			groups, index = &res.Snapshots, snapIdx
		}
		i, ok := index[row.SignatureHash]
		if !ok {
			i = len(*groups)
			index[row.SignatureHash] = i
			g := Group{Signature: row.Signature, SignatureHash: row.SignatureHash, FirstCore: row.Path,
				Frames: append([]string{}, row.Frames...), Summary: row.Summary, Stack: row.Stack, Baseline: row.Baseline}
			if len(row.Diagnoses) > 0 {
				g.Diagnosis = row.Diagnoses[0]
			}
			*groups = append(*groups, g)
		}
		g := &(*groups)[i]
		g.Count++
		g.Cores = append(g.Cores, row.Path)
		if row.Job != "" && (len(g.Jobs) == 0 || !slices.Contains(g.Jobs, row.Job)) {
			g.Jobs = append(g.Jobs, row.Job)
		}
	}
	sort.SliceStable(res.Groups, func(i, j int) bool { return res.Groups[i].Count > res.Groups[j].Count })
	sort.SliceStable(res.Snapshots, func(i, j int) bool { return res.Snapshots[i].Count > res.Snapshots[j].Count })
}

// SnapshotCount is how many of the cores are snapshots.
func (res *Result) SnapshotCount() int {
	n := 0
	for _, g := range res.Snapshots {
		n += g.Count
	}
	return n
}

// Crashes counts the analyzed cores, or, when failOn is not empty, only
// those with a diagnosis of one of its kinds (any of the core's diagnoses,
// not only the first) or one of its signals; with a baseline, only the new
// ones.
func (res *Result) Crashes(failOn []string) int {
	n := 0
	for _, row := range res.Rows {
		if row.SignatureHash == "" || res.baselined && row.Baseline != BaselineNew {
			continue
		}
		// A snapshot is not a crash: it counts only when asked for.
		if row.Snapshot && !row.matches(failOn) {
			continue
		}
		if len(failOn) == 0 || row.matches(failOn) {
			n++
		}
	}
	return n
}

func (row *Row) matches(failOn []string) bool {
	for _, k := range failOn {
		if k == FailOnSnapshot && row.Snapshot {
			return true
		}
		if strings.EqualFold(row.Signal, k) {
			return true
		}
		for _, d := range row.Diagnoses {
			if d == k {
				return true
			}
		}
	}
	return false
}
