package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/coreview/coreview/internal/coreinput"
	"github.com/coreview/coreview/internal/testfixture"
)

// crashDir builds a crash directory from the fixtures, stored the ways
// crash collectors store cores: raw, zstd, lz4, xz, a systemd-coredump name
// with extended attributes, one corrupt core, one core without its binary,
// and a file that is no core at all.
func crashDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	put := func(sub, name, fixture, compression string, withBin bool) {
		f := testfixture.Get(t, fixture)
		raw, err := os.ReadFile(f.RawCore(t))
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(dir, sub)
		os.MkdirAll(d, 0o755)
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
	sd := "core.prog.1000.0123456789abcdef0123456789abcdef.4242.1700000000000000.zst"
	put("systemd", sd, "c-threads", "zstd", true)
	syscall.Setxattr(filepath.Join(dir, "systemd", sd), "user.coredump.signal", []byte("11"), 0)
	put("nobin", "core.zst", "musl-relr", "zstd", false)
	// A corrupt core: a real ELF core header, then nothing.
	raw, _ := os.ReadFile(testfixture.Get(t, "c-abort").RawCore(t))
	os.MkdirAll(filepath.Join(dir, "corrupt"), 0o755)
	os.WriteFile(filepath.Join(dir, "corrupt", "core"), raw[:100], 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a core"), 0o644)
	return dir
}

type jsonlRow struct {
	Type          string   `json:"type"`
	Path          string   `json:"path"`
	Compression   string   `json:"compression"`
	Diagnoses     []string `json:"diagnoses"`
	SignatureHash string   `json:"signature_hash"`
	Error         string   `json:"error"`
	Groups        []struct {
		Count     int    `json:"count"`
		Diagnosis string `json:"diagnosis"`
	} `json:"groups"`
	Cores  int `json:"cores"`
	Errors int `json:"errors"`
}

func TestScan(t *testing.T) {
	dir := crashDir(t)
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
	if len(rows) != 7 || summary.Cores != 7 || summary.Errors != 2 {
		t.Fatalf("rows %v, summary %+v", rows, summary)
	}
	if rows["raw"].SignatureHash == "" || rows["raw"].SignatureHash != rows["zst"].SignatureHash {
		t.Errorf("raw and zstd copies: %q vs %q", rows["raw"].SignatureHash, rows["zst"].SignatureHash)
	}
	for sub, want := range map[string]string{"raw": "null-call", "lz4": "abort", "xz": "stack-overflow", "systemd": "stack-overflow"} {
		if r := rows[sub]; len(r.Diagnoses) == 0 || r.Diagnoses[0] != want || r.Error != "" {
			t.Errorf("%s: %+v, want %s", sub, r, want)
		}
	}
	for sub, comp := range map[string]string{"raw": "", "zst": "zstd", "lz4": "lz4", "xz": "xz"} {
		if rows[sub].Compression != comp {
			t.Errorf("%s: compression %q, want %q", sub, rows[sub].Compression, comp)
		}
	}
	if rows["corrupt"].Error == "" || !strings.Contains(rows["nobin"].Error, "not found") {
		t.Errorf("corrupt: %q; nobin: %q", rows["corrupt"].Error, rows["nobin"].Error)
	}
	if len(summary.Groups) != 4 || summary.Groups[0].Count != 2 || summary.Groups[0].Diagnosis != "null-call" {
		t.Errorf("groups %+v", summary.Groups)
	}

	// --fail-on a kind that did not happen: only the unreadable cores
	// remain, so the status says "some inputs could not be analyzed".
	if code, _, _ := runCLI("scan", dir, "-r", "--sysroot", sysroot, "--fail-on", "divide-error", "--format", "json"); code != exitBadInput {
		t.Errorf("--fail-on divide-error: exit %d, want %d", code, exitBadInput)
	}
	if code, _, _ := runCLI("scan", dir, "-r", "--sysroot", sysroot, "--fail-on", "null-call"); code != exitCrashes {
		t.Errorf("--fail-on null-call: exit %d, want %d", code, exitCrashes)
	}
	// A directory without cores: the JSON forms still give arrays.
	empty := t.TempDir()
	if code, out, _ := runCLI("scan", empty); code != exitOK || !strings.Contains(out, "0 cores") {
		t.Errorf("empty directory: exit %d\n%s", code, out)
	}
	if _, out, _ := runCLI("scan", empty, "--format", "jsonl"); out != `{"type":"summary","cores":0,"errors":0,"groups":[]}`+"\n" {
		t.Errorf("empty directory, jsonl: %s", out)
	}
	if _, out, _ := runCLI("scan", empty, "--format", "json"); !strings.Contains(out, `"cores":[],"groups":[]`) {
		t.Errorf("empty directory, json: %s", out)
	}
	code, md, _ := runCLI("scan", dir, "-r", "--sysroot", sysroot, "--format", "markdown")
	if code != exitCrashes || !strings.HasPrefix(md, "# Crash scan: 7 cores, 4 distinct crashes") || !strings.Contains(md, "## Not analyzed") {
		t.Errorf("markdown:\n%s", md)
	}
}

// TestScanJUnitWithAnt feeds the JUnit output to a real consumer, Ant's
// junitreport task (Debian's ant and ant-optional), and checks the totals
// its report computes.
func TestScanJUnitWithAnt(t *testing.T) {
	ant, err := exec.LookPath("ant")
	if err != nil {
		t.Skip("ant is not installed")
	}
	dir := crashDir(t)
	code, xml, stderr := runCLI("scan", dir, "-r", "--sysroot", testfixture.Sysroot(), "--format", "junit")
	if code != exitCrashes {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "TEST-coreview.xml"), []byte(xml), 0o644)
	os.WriteFile(filepath.Join(work, "build.xml"), []byte(`<project name="check" default="report">
  <target name="report">
    <junitreport todir="."><fileset dir="." includes="TEST-*.xml"/><report format="noframes" todir="html"/></junitreport>
  </target>
</project>`), 0o644)
	cmd := exec.Command(ant, "-q")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ant: %v\n%s", err, out)
	}
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
	if !bytes.Contains(html, []byte("SIGSEGV null-call: apply &larr; run")) {
		t.Errorf("Ant's HTML report does not list the null-call crash")
	}
}

// TestScanTimeout: --timeout makes a core that takes longer an error row;
// the scan still finishes, with exit status 3.
func TestScanTimeout(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	dir := t.TempDir()
	for name, src := range map[string]string{"core.zst": f.CoreZst, "bin": f.Binary} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	code, stdout, stderr := runCLI("scan", dir, "--timeout", "1ns", "--format", "jsonl", "--sysroot", testfixture.Sysroot())
	if code != exitBadInput || !strings.Contains(stdout, `"error":"timed out after 1ns"`) || !strings.Contains(stderr, "1 of 1 cores could not be analyzed") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}
