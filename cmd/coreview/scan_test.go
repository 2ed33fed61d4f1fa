package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/coreinput"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/scan"
)

// crashDir builds a crash directory from the fixtures, stored the ways
// crash collectors store cores: raw, zstd, lz4, xz, gzip, a systemd-coredump name
// with extended attributes, one corrupt core, one core without its binary,
// and a file that is no core at all. xattrs says whether the file system
// took the user.coredump.* extended attributes.
func crashDir(t *testing.T) (dir string, xattrs bool) {
	t.Helper()
	dir = t.TempDir()
	put := func(sub, name, fixture, compression string, withBin bool) {
		f := testfixture.Get(t, fixture)
		d := filepath.Join(dir, sub)
		os.MkdirAll(d, 0o755)
		if compression == "zstd" {
			// The fixture's own zstd core: recompressing the 61-thread
			// core's 473 MB took most of the scan tests' time.
			testfixture.CopyFile(t, f.CoreZst, filepath.Join(d, name))
			if withBin {
				testfixture.CopyFile(t, f.Binary, filepath.Join(d, "bin"))
			}
			return
		}
		raw, err := os.ReadFile(f.RawCore(t))
		if err != nil {
			t.Fatal(err)
		}
		data := raw
		if compression != "" {
			var buf bytes.Buffer
			w, err := coreinput.NewWriter(compression, &buf)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(raw)
			w.Close()
			data = buf.Bytes()
		}
		if err := os.WriteFile(filepath.Join(d, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if withBin {
			bin, _ := os.ReadFile(f.Binary)
			os.WriteFile(filepath.Join(d, "bin"), bin, 0o755)
		}
	}
	put("raw", "core", "c-null-call", "", true)
	put("zst", "core.zst", "c-null-call", "zstd", true)
	put("lz4", "core.lz4", "c-abort", "lz4", true)
	put("xz", "core.xz", "c-recursion", "xz", true)
	put("gz", "core.gz", "c-recursion", "gzip", true)
	sd := "core.prog.1000.0123456789abcdef0123456789abcdef.4242.1700000000000000.zst"
	put("systemd", sd, "c-stack-clash", "zstd", true)
	xattrs = true
	for attr, v := range map[string]string{"signal": "11", "exe": "/usr/bin/prog", "comm": "prog", "pid": "4242",
		"timestamp": "1700000000000000", "hostname": "ci-runner"} {
		if err := syscall.Setxattr(filepath.Join(dir, "systemd", sd), "user.coredump."+attr, []byte(v), 0); err != nil {
			t.Logf("setxattr user.coredump.%s: %v: the file system takes no user xattrs; not checking them", attr, err)
			xattrs = false
			break
		}
	}
	put("nobin", "core.zst", "musl-relr", "zstd", false)
	// A corrupt core: a real ELF core header, then nothing.
	raw, _ := os.ReadFile(testfixture.Get(t, "c-abort").RawCore(t))
	os.MkdirAll(filepath.Join(dir, "corrupt"), 0o755)
	os.WriteFile(filepath.Join(dir, "corrupt", "core"), raw[:100], 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a core"), 0o644)
	return dir, xattrs
}

type jsonlRow struct {
	Type          string   `json:"type"`
	Path          string   `json:"path"`
	Compression   string   `json:"compression"`
	Diagnoses     []string `json:"diagnoses"`
	SignatureHash string   `json:"signature_hash"`
	Error         string   `json:"error"`
	Systemd       *struct {
		Comm     string `json:"comm"`
		UID      int    `json:"uid"`
		BootID   string `json:"boot_id"`
		PID      int    `json:"pid"`
		Time     string `json:"time"`
		Exe      string `json:"exe"`
		Signal   int    `json:"signal"`
		Hostname string `json:"hostname"`
	} `json:"systemd"`
	Groups []struct {
		Count     int    `json:"count"`
		Diagnosis string `json:"diagnosis"`
	} `json:"groups"`
	Cores  int `json:"cores"`
	Errors int `json:"errors"`
}

func TestScan(t *testing.T) {
	dir, xattrs := crashDir(t)
	sysroot := testfixture.Sysroot()
	code, stdout, stderr := runCLI("scan", dir, "--recursive", "--sysroot", sysroot, "--format", "jsonl", "--jobs", "2")
	if code != exitCrashes {
		t.Fatalf("exit %d, want %d; stderr %s", code, exitCrashes, stderr)
	}
	rows := map[string]jsonlRow{}
	var summary jsonlRow
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r jsonlRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		if r.Type == "summary" {
			summary = r
			continue
		}
		rel, _ := filepath.Rel(dir, r.Path)
		rows[filepath.Dir(rel)] = r
	}
	if len(rows) != 8 || summary.Cores != 8 || summary.Errors != 2 {
		t.Fatalf("rows %v, summary %+v", rows, summary)
	}
	if rows["raw"].SignatureHash == "" || rows["raw"].SignatureHash != rows["zst"].SignatureHash {
		t.Errorf("raw and zstd copies: %q vs %q", rows["raw"].SignatureHash, rows["zst"].SignatureHash)
	}
	if rows["xz"].SignatureHash == "" || rows["xz"].SignatureHash != rows["gz"].SignatureHash {
		t.Errorf("xz and gzip copies: %q vs %q", rows["xz"].SignatureHash, rows["gz"].SignatureHash)
	}
	for sub, want := range map[string]string{"raw": "null-call", "lz4": "abort", "xz": "stack-overflow", "systemd": "stack-overflow"} {
		if r := rows[sub]; len(r.Diagnoses) == 0 || r.Diagnoses[0] != want || r.Error != "" {
			t.Errorf("%s: %+v, want %s", sub, r, want)
		}
	}
	for sub, comp := range map[string]string{"raw": "", "zst": "zstd", "lz4": "lz4", "xz": "xz", "gz": "gzip"} {
		if rows[sub].Compression != comp {
			t.Errorf("%s: compression %q, want %q", sub, rows[sub].Compression, comp)
		}
	}
	// What systemd-coredump recorded: the file name, and the extended
	// attributes when the file system keeps them.
	if sd := rows["systemd"].Systemd; sd == nil || sd.Comm != "prog" || sd.UID != 1000 || sd.PID != 4242 ||
		sd.BootID != "0123456789abcdef0123456789abcdef" || !strings.HasPrefix(sd.Time, "2023-11-14T22:13:20") {
		t.Errorf("systemd row: %+v", sd)
	} else if xattrs && (sd.Exe != "/usr/bin/prog" || sd.Signal != 11 || sd.Hostname != "ci-runner") {
		t.Errorf("systemd row without the xattrs: %+v", sd)
	}
	if rows["raw"].Systemd != nil {
		t.Errorf("raw core has systemd metadata: %+v", rows["raw"].Systemd)
	}
	if rows["corrupt"].Error == "" || !strings.Contains(rows["nobin"].Error, "not found") {
		t.Errorf("corrupt: %q; nobin: %q", rows["corrupt"].Error, rows["nobin"].Error)
	}
	// Groups by count, ties in the order of the cores' paths: gz/ and xz/
	// (c-recursion), raw/ and zst/ (null-call), lz4/ (abort), systemd/.
	if len(summary.Groups) != 4 || summary.Groups[0].Count != 2 || summary.Groups[0].Diagnosis != "stack-overflow" ||
		summary.Groups[1].Count != 2 || summary.Groups[1].Diagnosis != "null-call" || summary.Groups[2].Count != 1 {
		t.Errorf("groups %+v", summary.Groups)
	}

	// table: the rows, the totals, the groups and each group's frames.
	code, table, _ := runCLI("scan", dir, "-r", "--sysroot", sysroot)
	if code != exitCrashes {
		t.Errorf("table: exit %d", code)
	}
	for _, want := range []string{
		"CORE ", " PROCESS ", " SIGNAL ", " DIAGNOSIS ", " TOP FRAME\n",
		// TOP FRAME is where the signature starts: apply, which called
		// through the null pointer, not the 0x0 frame 0 every null call has.
		"SIGSEGV  null-call ", rows["raw"].SignatureHash + "  apply\n",
		"corrupt/core ",
		"8 cores, 4 distinct crashes, 2 could not be analyzed\n",
		"COUNT  SIGNATURE ",
		"\n" + rows["raw"].SignatureHash + " (2 core(s)): SIGSEGV null-call in prog: apply ← run",
		"\n  #0  0x0\n  #1  apply\n  #2  run\n  #3  main\n",
		"\n  #0  descend\n  #1  descend\n",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if n := strings.Count(table, "not found (use --binary or --binary-dir)"); n != 1 {
		t.Errorf("table: %d rows say the binary was not found, want 1:\n%s", n, table)
	}

	// json: one object with the schema, every row and the groups.
	code, js, _ := runCLI("scan", dir, "-r", "--sysroot", sysroot, "--format", "json")
	var whole struct {
		Schema string     `json:"schema"`
		Cores  []jsonlRow `json:"cores"`
		Groups []struct {
			Count  int      `json:"count"`
			Frames []string `json:"frames"`
			Cores  []string `json:"cores"`
		} `json:"groups"`
		Errors int `json:"errors"`
	}
	if err := json.Unmarshal([]byte(js), &whole); err != nil || code != exitCrashes {
		t.Fatalf("json: exit %d, %v:\n%s", code, err, js)
	}
	if whole.Schema != "coreview.scan/v1" || len(whole.Cores) != 8 || whole.Errors != 2 || len(whole.Groups) != 4 ||
		len(whole.Groups[1].Cores) != 2 || len(whole.Groups[1].Frames) < 2 || whole.Groups[1].Frames[1] != "apply" {
		t.Errorf("json: %+v", whole)
	}

	// --fail-on a kind that did not happen: only the unreadable cores
	// remain, so the status says "some inputs could not be analyzed".
	if code, _, _ := runCLI("scan", dir, "-r", "--sysroot", sysroot, "--fail-on", "divide-error", "--format", "json"); code != exitBadInput {
		t.Errorf("--fail-on divide-error: exit %d, want %d", code, exitBadInput)
	}
	if code, _, _ := runCLI("scan", dir, "-r", "--sysroot", sysroot, "--fail-on", "null-call"); code != exitCrashes {
		t.Errorf("--fail-on null-call: exit %d, want %d", code, exitCrashes)
	}
	if code, _, _ := runCLI("scan", dir, "-r", "--sysroot", sysroot, "--fail-on", "sigabrt"); code != exitCrashes {
		t.Errorf("--fail-on sigabrt: exit %d, want %d", code, exitCrashes)
	}
	// An unknown kind is a usage error that lists the valid ones, before
	// any core is read.
	if code, out, errs := runCLI("scan", dir, "-r", "--fail-on", "null-call,stackoverflow"); code != exitUsage || out != "" ||
		!strings.Contains(errs, `"stackoverflow"`) || !strings.Contains(errs, "stack-overflow") || !strings.Contains(errs, "SIGSEGV") {
		t.Errorf("--fail-on stackoverflow: exit %d, stdout %q, stderr %q; want %d and the valid kinds", code, out, errs, exitUsage)
	}
	// A directory without cores: the JSON forms still give arrays.
	empty := t.TempDir()
	if code, out, _ := runCLI("scan", empty); code != exitOK || !strings.Contains(out, "0 cores") {
		t.Errorf("empty directory: exit %d\n%s", code, out)
	}
	if _, out, _ := runCLI("scan", empty, "--format", "jsonl"); out != `{"schema":"coreview.scan.jsonl/v1","type":"summary","cores":0,"errors":0,"groups":[],"snapshots":[]}`+"\n" {
		t.Errorf("empty directory, jsonl: %s", out)
	}
	if _, out, _ := runCLI("scan", empty, "--format", "json"); !strings.Contains(out, `"cores":[],"groups":[]`) {
		t.Errorf("empty directory, json: %s", out)
	}
	code, md, _ := runCLI("scan", dir, "-r", "--sysroot", sysroot, "--format", "markdown")
	if code != exitCrashes || !strings.HasPrefix(md, "# Crash scan: 8 cores, 4 distinct crashes") || !strings.Contains(md, "## Not analyzed") {
		t.Errorf("markdown:\n%s", md)
	}
}

// TestScanJUnitWithAnt feeds the JUnit output to a real consumer, Ant's
// junitreport task (Debian's ant and ant-optional), and checks the totals
// its report computes.
func TestScanJUnitWithAnt(t *testing.T) {
	j := junitWithAnt(t)
	if j.scanCode != exitCrashes {
		t.Fatalf("exit %d: %s", j.scanCode, j.scanStderr)
	}
	work := j.dirs["scan"]
	merged, err := os.ReadFile(filepath.Join(work, "TESTS-TestSuites.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// junitreport re-reads every suite and writes the totals it parsed.
	for _, want := range []string{`tests="6"`, `failures="4"`, `errors="2"`} {
		if !bytes.Contains(merged, []byte(want)) {
			t.Errorf("Ant's merged report lacks %s:\n%.600s", want, merged)
		}
	}
	html, _ := os.ReadFile(filepath.Join(work, "html", "junit-noframes.html"))
	if !bytes.Contains(html, []byte("SIGSEGV null-call in prog: apply &larr; run")) {
		t.Errorf("Ant's HTML report does not list the null-call crash")
	}
}

// TestSystemdMetadataInReports: what systemd-coredump recorded about a
// core shows in the text and Markdown headers, not only in JSON.
func TestSystemdMetadataInReports(t *testing.T) {
	dir, xattrs := crashDir(t)
	sd := filepath.Join(dir, "systemd", "core.prog.1000.0123456789abcdef0123456789abcdef.4242.1700000000000000.zst")
	bin := filepath.Join(dir, "systemd", "bin")
	want := "comm prog, uid 1000, pid 4242, boot id 0123456789abcdef0123456789abcdef, time 2023-11-14 22:13:20.000000 UTC"
	if xattrs {
		want += ", exe /usr/bin/prog, signal SIGSEGV, host ci-runner"
	}
	code, text, stderr := runCLI("analyze", sd, "--binary", bin, "--sysroot", testfixture.Sysroot(), "--thread", "crashed")
	if code != exitOK || !strings.Contains(text, "\nsystemd  "+want+"\n") {
		t.Errorf("text: exit %d (%s), want the line %q:\n%.800s", code, stderr, "systemd  "+want, text)
	}
	code, md, _ := runCLI("analyze", sd, "--binary", bin, "--sysroot", testfixture.Sysroot(), "--format", "markdown")
	if code != exitOK || !strings.Contains(md, "**systemd-coredump:** "+strings.ReplaceAll(want, "_", "\\_")) {
		t.Errorf("markdown: exit %d, want %q:\n%.800s", code, want, md)
	}
	code, table, _ := runCLI("scan", dir, "-r", "--sysroot", testfixture.Sysroot())
	if code != exitCrashes || !strings.Contains(table, "prog[4242] 2023-11-14T22:13:20Z") {
		t.Errorf("table: exit %d, want the systemd process column:\n%s", code, table)
	}
}

// TestIsTerminal: /dev/null is a character device but no terminal; a
// pseudo-terminal is one.
func TestIsTerminal(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Error("isTerminal(/dev/null) = true")
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("isTerminal(a buffer) = true")
	}
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer pty.Close()
	t.Setenv("TERM", "xterm")
	if !isTerminal(pty) {
		t.Error("isTerminal(/dev/ptmx) = false")
	}
}

// TestScanTimeout: --timeout makes a core that takes longer an error row;
// the scan still finishes, with exit status 3.
func TestScanTimeout(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	dir := t.TempDir()
	for name, src := range map[string]string{"core.zst": f.CoreZst, "bin": f.Binary} {
		testfixture.CopyFile(t, src, filepath.Join(dir, name))
	}
	code, stdout, stderr := runCLI("scan", dir, "--timeout", "1ns", "--format", "jsonl", "--sysroot", testfixture.Sysroot())
	if code != exitBadInput || !strings.Contains(stdout, `"error":"timed out after 1ns (the analysis was killed)"`) || !strings.Contains(stderr, "1 of 1 cores could not be analyzed") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}

// TestScanReusedWorker: one worker analyzing every core in turn gives the
// rows a worker of its own for each core gives, but for the seconds each
// took: what one analysis leaves in a worker does not change the next
// one's.
func TestScanReusedWorker(t *testing.T) {
	dir, _ := crashDir(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rows := func(reuse bool) []string {
		res, err := scan.Run(scan.Options{Dirs: []string{dir}, Recursive: true, Jobs: 1,
			Core:    analyze.Options{Sysroot: testfixture.Sysroot()},
			Isolate: &scan.Isolation{Command: []string{exe, "worker"}, Reuse: reuse}})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res.Rows {
			r.Seconds = 0
			b, _ := json.Marshal(r)
			out = append(out, string(b))
		}
		return out
	}
	reused, own := rows(true), rows(false)
	if len(reused) < 8 || strings.Join(reused, "\n") != strings.Join(own, "\n") {
		t.Errorf("one worker for every core:\n%s\na worker for each:\n%s", strings.Join(reused, "\n"), strings.Join(own, "\n"))
	}
}

// TestScanOddNames: a core whose file name is not UTF-8, or holds a
// quote, a backslash or a newline, is analyzed by its worker, reused or
// not: the request carries the name's bytes, which a JSON string cannot.
func TestScanOddNames(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	dir := t.TempDir()
	names := []string{"core.a\xffb", "core.\"q\\\"", "core.new\nline", "core.ok"}
	for _, n := range names {
		testfixture.CopyFile(t, f.CoreZst, filepath.Join(dir, n))
	}
	testfixture.CopyFile(t, f.Binary, filepath.Join(dir, "bin"))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, reuse := range []bool{true, false} {
		res, err := scan.Run(scan.Options{Dirs: []string{dir}, Jobs: 1, Core: analyze.Options{Sysroot: testfixture.Sysroot()},
			Isolate: &scan.Isolation{Command: []string{exe, "worker"}, Reuse: reuse}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != len(names) {
			t.Fatalf("reuse %v: %d rows, want %d", reuse, len(res.Rows), len(names))
		}
		for _, r := range res.Rows {
			if r.Error != "" || r.Signal != "SIGSEGV" {
				t.Errorf("reuse %v: %q: %q, signal %q", reuse, filepath.Base(r.Path), r.Error, r.Signal)
			}
		}
	}
}

// TestScanOddBinaryDir: --binary-dir and --binary whose names are not
// UTF-8 reach the worker as they are: the c-got-call core names an
// executable that is not on this machine, so its row is right only if
// the worker finds the binary where it was told to look.
func TestScanOddBinaryDir(t *testing.T) {
	f := testfixture.Get(t, "c-got-call")
	dir, bins := t.TempDir(), filepath.Join(t.TempDir(), "bd\xff")
	os.Mkdir(bins, 0o755)
	testfixture.CopyFile(t, f.CoreZst, filepath.Join(dir, "core.zst"))
	testfixture.CopyFile(t, f.Binary, filepath.Join(bins, "prog\xfe"))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run := func(iso *scan.Isolation, o scan.Options) scan.Row {
		o.Dirs, o.Jobs, o.Isolate = []string{dir}, 1, iso
		o.Core.Sysroot = testfixture.Sysroot()
		res, err := scan.Run(o)
		if err != nil || len(res.Rows) != 1 {
			t.Fatalf("%v, %d rows", err, len(res.Rows))
		}
		return res.Rows[0]
	}
	for name, o := range map[string]scan.Options{
		"--binary-dir": {BinaryDir: bins},
		"--binary":     {Core: analyze.Options{Binary: filepath.Join(bins, "prog\xfe")}},
	} {
		want := run(nil, o)
		if want.Error != "" || want.Signature == "" {
			t.Fatalf("%s in this process: %+v", name, want)
		}
		for _, reuse := range []bool{true, false} {
			got := run(&scan.Isolation{Command: []string{exe, "worker"}, Reuse: reuse}, o)
			if got.Signature != want.Signature || got.Summary != want.Summary || got.Error != "" {
				t.Errorf("%s, reuse %v: %q %q %q; in this process: %q %q", name, reuse, got.Signature, got.Summary, got.Error, want.Signature, want.Summary)
			}
		}
	}
}
