package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/symbolize"
)

// reuseScript is a reusable worker: it answers each request line with a
// row whose signature_hash is its own PID, and for cores named so, it
// crashes, hangs, runs out of memory, fails, answers nonsense or writes
// to stderr (the name's end says which).
const reuseScript = `while read -r req; do p=${req#*'"path":"'}; p=${p%%'"'*}
	case "$req" in
	*crash\"*) kill -SEGV $$ ;;
	*hang\"*) exec sleep 30 ;;
	*oom\"*) echo 'fatal error: runtime: out of memory' >&2; exit 2 ;;
	*fail\"*) exit 5 ;;
	*junk\"*) echo '{not json' ;;
	*noisy\"*) echo 'coreview: a warning of the noisy core' >&2; echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"'$$'"}' ;;
	*) echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"'$$'"}' ;;
	esac
done`

// reuseScan scans the named one-byte files with the reusable worker, one
// job, and returns the rows in path order.
func reuseScan(t *testing.T, names []string, timeout time.Duration) []Row {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	res, err := runPaths(paths, Options{Jobs: 1, Timeout: timeout,
		Isolate: &Isolation{Command: []string{"/bin/sh", "-c", reuseScript}, MaxMemory: 64 << 20, Reuse: true}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows
}

// TestReusedWorker: one worker answers core after core; a worker that
// crashes, is killed at the timeout, fails or answers nonsense gives that
// core's row its reason, as a worker of its own would, and the next core
// has a new worker; what a worker wrote to stderr for one core is not
// another core's reason.
func TestReusedWorker(t *testing.T) {
	names := []string{"core.a1", "core.a2", "core.b1crash", "core.c1", "core.c2hang", "core.d1noisy", "core.d2fail", "core.e1", "core.e2oom", "core.f1", "core.f2junk", "core.g1"}
	rows := reuseScan(t, names, 500*time.Millisecond)
	want := map[string]string{
		"core.b1crash": "killed by segmentation fault",
		"core.c2hang":  "timed out after 500ms (the analysis was killed)",
		"core.d2fail":  "the analysis failed (exit status 5)", // and nothing more: core.d1noisy's warning is not its reason
		"core.e2oom":   "ran out of memory (its limit is 64 MiB, --max-memory)",
		"core.f2junk":  "internal error: the worker's answer",
	}
	pid := map[string]string{}
	for _, r := range rows {
		n := filepath.Base(r.Path)
		if w, ok := want[n]; ok {
			if !strings.Contains(r.Error, w) || r.SignatureHash != "" || n == "core.d2fail" && r.Error != w {
				t.Errorf("%s: error %q, want %q", n, r.Error, w)
			}
			if strings.Contains(r.Error, "noisy") {
				t.Errorf("%s: the reason is another core's stderr: %q", n, r.Error)
			}
			continue
		}
		if r.Error != "" || r.SignatureHash == "" {
			t.Fatalf("%s: %+v, want an answer", n, r)
		}
		pid[n] = r.SignatureHash
	}
	// Cores in the same letter ran on one worker; each letter's on a new
	// one, started after the last one ended.
	if pid["core.a1"] != pid["core.a2"] {
		t.Errorf("core.a1 and core.a2 were answered by workers %s and %s, want one", pid["core.a1"], pid["core.a2"])
	}
	seen := map[string]string{}
	for _, n := range []string{"core.a1", "core.c1", "core.d1noisy", "core.e1", "core.f1", "core.g1"} {
		if prev, ok := seen[pid[n]]; ok {
			t.Errorf("%s was answered by %s's worker (%s), which had failed", n, prev, pid[n])
		}
		seen[pid[n]] = n
	}
}

// TestReusedWorkerRetires: a worker serves maxWorkerUses cores, then a new
// one takes over.
func TestReusedWorkerRetires(t *testing.T) {
	var names []string
	for i := range maxWorkerUses + 2 {
		names = append(names, fmt.Sprintf("core.%03d", i))
	}
	rows := reuseScan(t, names, 0)
	count := map[string]int{}
	for _, r := range rows {
		if r.Error != "" {
			t.Fatalf("%s: %s", r.Path, r.Error)
		}
		count[r.SignatureHash]++
	}
	if len(count) != 2 {
		t.Fatalf("%d cores answered by %d workers (%v), want %d by one and 2 by the next", len(rows), len(count), count, maxWorkerUses)
	}
	for _, n := range count {
		if n != maxWorkerUses && n != 2 {
			t.Errorf("a worker answered %d cores, want %d, then 2", n, maxWorkerUses)
		}
	}
}

// TestServeWorkerRequests: ServeWorker answers requests one after another,
// a line each, and ends with its input; an input without any request is
// an error.
func TestServeWorkerRequests(t *testing.T) {
	dir := t.TempDir()
	var in bytes.Buffer
	for _, n := range []string{"a", "b", "c"} {
		b, _ := json.Marshal(WorkerRequest{Path: filepath.Join(dir, "missing-"+n)})
		in.Write(b)
		if n != "c" {
			in.WriteByte('\n') // the last request may end without one
		}
	}
	var out bytes.Buffer
	if err := ServeWorker(&in, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d answers, want 3: %q", len(lines), out.String())
	}
	for i, l := range lines {
		var r Row
		if err := json.Unmarshal([]byte(l), &r); err != nil || !strings.HasSuffix(r.Path, "missing-"+string(rune('a'+i))) || r.Error == "" {
			t.Errorf("answer %d: %q (%v), want an error row for missing-%c", i, l, err, 'a'+i)
		}
	}
	if err := ServeWorker(strings.NewReader(""), &out); err == nil {
		t.Error("no request: no error")
	}
}

// TestReusedWorkerEnds: a worker that ends cleanly after an answer without
// saying it was its last (retiringLine) costs the next core nothing: a new
// worker analyzes it. One that ends cleanly without answering its first
// core is that core's error.
func TestReusedWorkerEnds(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"core.1", "core.2", "core.3", "core.4", "core.5"} {
		p := filepath.Join(dir, n)
		os.WriteFile(p, []byte("x"), 0o644)
		paths = append(paths, p)
	}
	twice := `n=0; while read -r req; do p=${req#*'"path":"'}; p=${p%%'"'*}; n=$((n+1)); echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"'$$'"}'; [ $n -ge 2 ] && exit 0; done`
	res, err := runPaths(paths, Options{Jobs: 1, Isolate: &Isolation{Command: []string{"/bin/sh", "-c", twice}, Reuse: true}})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range res.Rows {
		if r.Error != "" {
			t.Errorf("%s: %s", r.Path, r.Error)
		}
		count[r.SignatureHash]++
	}
	if len(count) != 3 {
		t.Errorf("5 cores answered by workers %v, want three: two each, then one", count)
	}
	res, err = runPaths(paths[:1], Options{Jobs: 1, Isolate: &Isolation{Command: []string{"/bin/sh", "-c", "exit 0"}, Reuse: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0].Error; got != "internal error: the worker ended without an answer" {
		t.Errorf("a worker that ends without answering: error %q", got)
	}
}

// reuseRun scans the named one-byte files with script as a reusable
// worker, one job, and returns the rows in path order.
func reuseRun(t *testing.T, script string, timeout time.Duration, names ...string) []Row {
	t.Helper()
	return reuseRunOpts(t, script, Options{Timeout: timeout}, names...)
}

func reuseRunOpts(t *testing.T, script string, opts Options, names ...string) []Row {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		os.WriteFile(p, []byte("x"), 0o644)
		paths = append(paths, p)
	}
	opts.Jobs, opts.Isolate = 1, &Isolation{Command: []string{"/bin/sh", "-c", script}, Reuse: true}
	res, err := runPaths(paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows
}

// TestReusedWorkerDiesIdle: a worker that dies after its answer, before
// it reads the next core (the OOM killer's choice, a goroutine of the last
// analysis that panics), is not the next core's reason: a new worker
// analyzes it.
func TestReusedWorkerDiesIdle(t *testing.T) {
	for _, death := range []string{"exit 3", "kill -9 $$", "echo 'fatal error: runtime: out of memory' >&2; exit 2"} {
		script := `read -r req; p=${req#*'"path":"'}; p=${p%%'"'*}; echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"'$$'"}'; sleep 0.05; ` + death
		rows := reuseRun(t, script, 0, "core.1", "core.2", "core.3")
		for _, r := range rows {
			if r.Error != "" || r.Signal != "SIGSEGV" {
				t.Errorf("worker that dies idle with %q: %s: %+v", death, filepath.Base(r.Path), r)
			}
		}
	}
}

// TestReusedWorkerExtraLine: a line a worker writes besides its answer
// does not become the next core's answer: ServeWorker's answers carry the
// path they were asked for, and an answer for another core, or a line
// waiting before the next request, ends the worker.
func TestReusedWorkerExtraLine(t *testing.T) {
	script := `while read -r req; do p=${req#*'"path":"'}; p=${p%%'"'*}
	echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"'$p'"}'
	echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"extra"}'
	done`
	for _, r := range reuseRun(t, script, 0, "core.1", "core.2", "core.3", "core.4") {
		if r.Error != "" || r.SignatureHash != r.Path {
			t.Errorf("%s: %+v, want its own answer", filepath.Base(r.Path), r)
		}
	}
}

// TestReusedWorkerTimeouts: the timeout holds whatever a worker does: not
// reading a request larger than the pipe, closing its output and hanging,
// leaving a child that holds its output open.
func TestReusedWorkerTimeouts(t *testing.T) {
	for _, c := range []struct{ name, script string }{
		{"does not read", `exec sleep 30`},
		{"closes its output", `exec >&-; exec sleep 30`},
		{"a child holds its output", `read -r req; sleep 30`},
	} {
		start := time.Now()
		// A request past the pipe's 64 KiB (a --binary-dir's index
		// can be).
		rows := reuseRunOpts(t, c.script, Options{Timeout: 300 * time.Millisecond, Core: analyze.Options{Sysroot: strings.Repeat("/x", 100<<10)}}, "core.1")
		if took := time.Since(start); took > 5*time.Second || !strings.Contains(rows[0].Error, "timed out after 300ms") {
			t.Errorf("%s: %v, row %+v; want a timeout row at 300 ms", c.name, took, rows[0])
		}
	}
}

// TestReusedWorkerStrayLine: a line without a path that a worker writes
// after its answer, late (when the parent has sent the next core), is not
// that core's answer: an answer must carry the path it was asked for.
func TestReusedWorkerStrayLine(t *testing.T) {
	script := `stray=; while read -r req; do p=${req#*'"path":"'}; p=${p%%'"'*}
	if [ -n "$stray" ]; then echo "$stray"; sleep 0.05; fi
	echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"'$p'"}'
	stray='{"signal":"SIGBUS","signature_hash":"stray"}'
	done`
	for _, r := range reuseRun(t, script, 0, "core.1", "core.2", "core.3", "core.4") {
		if r.Error != "" || r.SignatureHash != r.Path {
			t.Errorf("%s: %+v, want its own answer", filepath.Base(r.Path), r)
		}
	}
}

// TestReusedWorkerLingers: a reused worker that has stopped reading and
// lingers after its answer is killed at once when the next core finds it
// so, and that core is analyzed on a new worker, within a timeout shorter
// than the grace a worker has to exit.
func TestReusedWorkerLingers(t *testing.T) {
	script := `read -r req; p=${req#*'"path":"'}; p=${p%%'"'*}
	exec <&-
	echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"'$$'"}'
	exec sleep 30`
	start := time.Now()
	rows := reuseRun(t, script, 300*time.Millisecond, "core.1", "core.2", "core.3")
	for _, r := range rows {
		if r.Error != "" || r.Signal != "SIGSEGV" {
			t.Errorf("%s: %+v, want an answer", filepath.Base(r.Path), r)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
}

// TestServeWorkerRetires: past maxReusedFootprint, ServeWorker says so
// (retiringLine), answers the request it read and ends, without reading
// the next: the parent starts another worker for it
// (TestReusedWorkerSaysLast).
func TestServeWorkerRetires(t *testing.T) {
	defer func(n uint64) { maxReusedFootprint = n }(maxReusedFootprint)
	maxReusedFootprint = 1
	dir := t.TempDir()
	var in bytes.Buffer
	for _, n := range []string{"a", "b"} {
		b, _ := json.Marshal(WorkerRequest{Path: filepath.Join(dir, "missing-"+n)})
		in.Write(append(b, '\n'))
	}
	var out bytes.Buffer
	if err := ServeWorker(&in, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || lines[0] != retiringLine || !strings.Contains(lines[1], "missing-a") {
		t.Errorf("wrote %q, want %s, then the answer for missing-a", out.String(), retiringLine)
	}
}

// TestReusedWorkerSaysLast: a worker that says its answer is its last
// (retiringLine) is ended after it and given no more cores, so no core is
// sent to a worker that is exiting and analyzed again.
func TestReusedWorkerSaysLast(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log") // a line for each request a worker read: its PID
	// It keeps reading after its last answer, as ServeWorker does not: a
	// core sent to it would be answered, and logged.
	script := `n=0; while read -r req; do p=${req#*'"path":"'}; p=${p%%'"'*}; n=$((n+1)); echo $$ >>` + log + `
	[ $n -ge 2 ] && echo '` + retiringLine + `'
	echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"'$$'"}'; done`
	rows := reuseRun(t, script, 0, "core.1", "core.2", "core.3", "core.4", "core.5")
	count := map[string]int{}
	for _, r := range rows {
		if r.Error != "" || r.Signal != "SIGSEGV" {
			t.Errorf("%s: %+v, want an answer", filepath.Base(r.Path), r)
		}
		count[r.SignatureHash]++
	}
	b, _ := os.ReadFile(log)
	read := map[string]int{}
	for _, l := range strings.Fields(string(b)) {
		read[l]++
	}
	if len(count) != 3 || fmt.Sprint(read) != fmt.Sprint(count) {
		t.Errorf("workers answered %v and read %v, want three workers, two cores each and then one, and no request after the last answer", count, read)
	}
}

// TestWorkerRequestRoundTrip: what workerRequest sends, ServeWorker
// analyzes with: the scan's debuginfod settings reach the analysis (the
// server is asked for the fixture's debug files).
func TestWorkerRequestRoundTrip(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	opts := Options{Core: analyze.Options{Binary: f.Binary, Sysroot: testfixture.Sysroot(), CacheDir: t.TempDir(),
		Debuginfod: &symbolize.Debuginfod{URLs: []string{srv.URL}, CacheDir: t.TempDir(), Timeout: 5 * time.Second}},
		Isolate: &Isolation{}}
	b, err := json.Marshal(workerRequest(f.CoreZst, opts))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ServeWorker(bytes.NewReader(b), &out); err != nil {
		t.Fatal(err)
	}
	var r Row
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Signal != "SIGSEGV" {
		t.Fatalf("answer %q (%v), want the core's row", out.String(), err)
	}
	if asked.Load() == 0 {
		t.Errorf("the debuginfod server was never asked: the worker analyzed without the scan's settings")
	}
}

// TestReusedWorkerStopsReading: a reused worker that stops reading after
// its answer, with the next request already in its pipe, never says it
// started on that core (startedLine): at the timeout the core is tried on
// a new worker, not reported as timed out; one that said it started and
// then hangs is the core's timeout.
func TestReusedWorkerStopsReading(t *testing.T) {
	answer := `p=${req#*'"path":"'}; p=${p%%'"'*}; echo '{"coreview_worker":"started"}'; echo '{"path":"'$p'","signal":"SIGSEGV","signature_hash":"'$$'"}'`
	rows := reuseRun(t, `read -r req; `+answer+`; exec sleep 30`, 300*time.Millisecond, "core.1", "core.2", "core.3")
	for _, r := range rows {
		if r.Error != "" || r.Signal != "SIGSEGV" {
			t.Errorf("%s: %+v, want an answer", filepath.Base(r.Path), r)
		}
	}
	hangs := filepath.Join(t.TempDir(), "hangs") // a line for each worker the core hung
	hang := `while read -r req; do case "$req" in *hang\"*) echo x >>` + hangs + `; echo '{"coreview_worker":"started"}'; exec sleep 30 ;; esac; ` + answer + `; done`
	rows = reuseRun(t, hang, 300*time.Millisecond, "core.1", "core.2hang")
	if rows[1].Error != "timed out after 300ms (the analysis was killed)" {
		t.Errorf("core.2hang: %+v, want its timeout", rows[1])
	}
	if b, _ := os.ReadFile(hangs); strings.Count(string(b), "x") != 1 {
		t.Errorf("core.2hang hung %d workers: a core that started and hung was tried again", strings.Count(string(b), "x"))
	}
}
