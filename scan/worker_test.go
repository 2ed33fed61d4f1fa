package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWorkerFailures: whatever a worker does, its core gets one row that
// says what happened, and a hung worker is killed at the timeout (its job
// slot is not given back while it runs).
func TestWorkerFailures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "core")
	os.WriteFile(path, []byte("x"), 0o644)
	for _, tc := range []struct {
		name, script string
		timeout      time.Duration
		want         string
	}{
		{"killed by a signal", "kill -SEGV $$", 0, "killed by segmentation fault"},
		{"bus error", "kill -BUS $$", 0, "killed by bus error"},
		{"out of memory", "echo 'fatal error: runtime: out of memory' >&2; exit 2", 0, "ran out of memory (its limit is 64 MiB, --max-memory)"},
		// Go 1.26's collector stores through a span queue ring that
		// mmap refused (runtime.newSpanSPMC does not check sysAlloc).
		{"runtime faults at 0 under the limit", `printf 'SIGSEGV: segmentation violation\nPC=0x43925d m=4 sigcode=1 addr=0x0\n\ngoroutine 0 gp=0xb35af637860 m=4 mp=0xb35af67b808 [idle]:\nruntime.(*spanQueue).tryDrain(0x7f5200000400?, 0x4419e5?, 0x115ce68?)\n\t/usr/local/go/src/runtime/mgcmark_greenteagc.go:520 +0x5d\n' >&2; exit 2`, 0,
			"ran out of memory (its limit is 64 MiB, --max-memory): the Go runtime read or wrote address 0 in runtime.(*spanQueue).tryDrain"},
		{"runtime faults elsewhere", `printf 'SIGSEGV: segmentation violation\nPC=0x43925d m=4 sigcode=1 addr=0x18\n\ngoroutine 0 gp=0xb35af637860 m=4 mp=0xb35af67b808 [idle]:\nruntime.(*spanQueue).tryDrain(0x7f5200000400?)\n' >&2; exit 2`, 0,
			"the analysis failed (exit status 2)"},
		{"program code faults at 0", `printf 'SIGSEGV: segmentation violation\nPC=0x43925d m=4 sigcode=1 addr=0x0\n\ngoroutine 7 gp=0xb35af637860 m=4 mp=0xb35af67b808 [running]:\nmain.f(0x1)\n' >&2; exit 2`, 0,
			"the analysis failed (exit status 2)"},
		{"fails", "echo 'first'; echo 'coreview: something broke' >&2; exit 5", 0, "exit status 5): coreview: something broke"},
		{"bad answer", "echo '{not json'", 0, "the worker's answer"},
		{"hangs", "exec sleep 30", 300 * time.Millisecond, "timed out after 300ms (the analysis was killed)"},
		{"answers", `cat >/dev/null; echo '{"path":"elsewhere","signal":"SIGSEGV","signature_hash":"ab"}'`, 0, ""},
		// Its exit is clean; Run reports the held pipe (exec.ErrWaitDelay)
		// only then.
		{"a child holds its stderr", `cat >/dev/null; sleep 3 >/dev/null & echo '{"path":"elsewhere","signal":"SIGSEGV","signature_hash":"ab"}'`, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Timeout: tc.timeout, Isolate: &Isolation{Command: []string{"/bin/sh", "-c", tc.script}, MaxMemory: 64 << 20}}
			start := time.Now()
			row := runWorker(path, opts)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if row.Path != path || row.Diagnoses == nil {
				t.Errorf("row %+v", row)
			}
			if tc.want == "" {
				if row.Error != "" || row.Signal != "SIGSEGV" {
					t.Errorf("row %+v", row)
				}
				return
			}
			if !strings.Contains(row.Error, tc.want) {
				t.Errorf("error %q, want %q", row.Error, tc.want)
			}
		})
	}
}

// TestRowsStreamInOrder: OnRow gets the rows in path order, each once,
// however the analyses finish.
func TestRowsStreamInOrder(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		p := filepath.Join(dir, "core."+n)
		// Not cores: FindCores skips them, so list them by hand below.
		os.WriteFile(p, []byte(n), 0o644)
		want = append(want, p)
	}
	// Later cores answer first: the worker sleeps less for them.
	script := `read -r req; case "$req" in *core.a*) sleep 0.4;; *core.b*) sleep 0.3;; *core.c*) sleep 0.2;; esac; echo '{}'`
	var got []string
	res, err := runPaths(want, Options{Jobs: 5, Isolate: &Isolation{Command: []string{"/bin/sh", "-c", script}},
		OnRow: func(r Row) { got = append(got, r.Path) }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || len(res.Rows) != len(want) {
		t.Errorf("streamed %q, want %q", got, want)
	}
}
