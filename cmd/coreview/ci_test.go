package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestScanBaseline: --write-baseline records the crashes found; against
// it every crash is known and the run no longer fails for crashes (the
// unreadable cores still make it exit 3); a crash the baseline lacks is
// new and fails it.
func TestScanBaseline(t *testing.T) {
	dir, _ := crashDir(t)
	known := filepath.Join(t.TempDir(), "known.json")
	base := []string{"scan", dir, "-r", "--sysroot", testfixture.Sysroot()}
	if code, _, stderr := runCLI(append(base, "--write-baseline", known)...); code != exitCrashes {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var b struct {
		Schema     string `json:"schema"`
		Signatures []struct {
			SignatureHash string `json:"signature_hash"`
			Signature     string `json:"signature"`
		} `json:"signatures"`
	}
	data, _ := os.ReadFile(known)
	if err := json.Unmarshal(data, &b); err != nil || b.Schema != "coreview.baseline/v1" || len(b.Signatures) != 4 {
		t.Fatalf("baseline %s: %v", data, err)
	}
	code, stdout, stderr := runCLI(append(base, "--baseline", known)...)
	if code != exitBadInput || strings.Contains(stdout, "  new  ") || !strings.Contains(stdout, ", 0 new (not in the baseline)") {
		t.Errorf("all known: exit %d (want %d: only the unreadable cores fail)\n%s%s", code, exitBadInput, stdout, stderr)
	}
	// Forget the null-call crash: it is new again.
	var kept []string
	forgot := ""
	for _, s := range b.Signatures {
		if strings.Contains(s.Signature, "null-call") {
			forgot = s.SignatureHash
			continue
		}
		kept = append(kept, `{"signature_hash":"`+s.SignatureHash+`","signature":"","cores":1}`)
	}
	os.WriteFile(known, []byte(`{"schema":"coreview.baseline/v1","signatures":[`+strings.Join(kept, ",")+`]}`), 0o644)
	code, stdout, _ = runCLI(append(base, "--baseline", known, "--format", "json")...)
	var res struct {
		New    int `json:"new"`
		Groups []struct {
			SignatureHash string `json:"signature_hash"`
			Baseline      string `json:"baseline"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != exitCrashes || res.New != 1 {
		t.Fatalf("one new: exit %d, %v, %s", code, err, stdout)
	}
	for _, g := range res.Groups {
		if (g.SignatureHash == forgot) != (g.Baseline == "new") {
			t.Errorf("group %s is %s", g.SignatureHash, g.Baseline)
		}
	}
	// --fail-on still narrows: the new crash is a null-call.
	if code, _, _ := runCLI(append(base, "--baseline", known, "--fail-on", "abort")...); code != exitBadInput {
		t.Errorf("--fail-on abort with the null-call new: exit %d, want %d", code, exitBadInput)
	}
	if code, _, stderr := runCLI(append(base, "--baseline", filepath.Join(dir, "raw", "core"))...); code != exitBadInput || !strings.Contains(stderr, "baseline") {
		t.Errorf("a core as the baseline: exit %d, %s", code, stderr)
	}
}

// TestJUnitWithAnt: Ant's junitreport reads a scan whose crashes the
// baseline knows (skipped cases) and an empty scan (one passing case).
func TestJUnitWithAnt(t *testing.T) {
	j := junitWithAnt(t)
	cases := map[string][]string{
		"baseline": {`tests="6"`, `failures="0"`, `errors="2"`, `skipped="4"`},
		"empty":    {`tests="1"`, `failures="0"`, `errors="0"`},
	}
	for name, want := range cases {
		merged, _ := os.ReadFile(filepath.Join(j.dirs[name], "TESTS-TestSuites.xml"))
		for _, w := range want {
			if !bytes.Contains(merged, []byte(w)) {
				t.Errorf("%s: Ant's merged report lacks %s:\n%.600s", name, w, merged)
			}
		}
		if !regexp.MustCompile(`timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"`).Match(merged) || !bytes.Contains(merged, []byte(`hostname="`)) {
			t.Errorf("%s: Ant lost the timestamp or hostname:\n%.600s", name, merged)
		}
	}
}

// junitAnt is what Ant's junitreport made of three scans' JUnit output:
// the crash directory's ("scan", with the scan's exit status and stderr),
// the same with a baseline that knows its crashes ("baseline"), and an
// empty directory's ("empty").
type junitAnt struct {
	scanCode   int
	scanStderr string
	dirs       map[string]string
}

// junitWithAnt makes the three scans and runs Ant on them once per test
// binary, for TestJUnitWithAnt and TestScanJUnitWithAnt: starting Ant's
// JVM is most of what each run costs.
func junitWithAnt(t *testing.T) *junitAnt {
	t.Helper()
	ant := testfixture.Tool(t, "ant")
	junitOnce.Do(func() {
		dir, _ := crashDir(t)
		j := &junitAnt{}
		var scan string
		j.scanCode, scan, j.scanStderr = runCLI("scan", dir, "-r", "--sysroot", testfixture.Sysroot(), "--format", "junit")
		known := filepath.Join(t.TempDir(), "known.json")
		runCLI("scan", dir, "-r", "--sysroot", testfixture.Sysroot(), "--write-baseline", known)
		_, withBaseline, _ := runCLI("scan", dir, "-r", "--sysroot", testfixture.Sysroot(), "--format", "junit", "--baseline", known)
		_, empty, _ := runCLI("scan", t.TempDir(), "--format", "junit")
		work, err := os.MkdirTemp(testfixture.SharedDir(t), "ant-")
		if err != nil {
			t.Fatal(err)
		}
		j.dirs = antJUnitReports(t, ant, work, map[string]string{"scan": scan, "baseline": withBaseline, "empty": empty})
		junit = j
	})
	if junit == nil {
		t.Fatal("the scans or Ant failed in the test that ran them first")
	}
	return junit
}

var (
	junitOnce sync.Once
	junit     *junitAnt
)

// antJUnitReports runs Ant's junitreport on each JUnit XML, each in its
// own directory under work (TEST-coreview.xml in, TESTS-TestSuites.xml and
// html/junit-noframes.html out), and returns the directories by name. One
// Ant run makes all the reports, a target per directory: starting the JVM
// is most of what a run costs.
func antJUnitReports(t *testing.T, ant, work string, xmls map[string]string) map[string]string {
	t.Helper()
	dirs := map[string]string{}
	var targets, names []string
	for name, xml := range xmls {
		d := filepath.Join(work, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "TEST-coreview.xml"), []byte(xml), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs[name] = d
		names = append(names, name)
		targets = append(targets, `  <target name="`+name+`">
    <junitreport todir="`+name+`"><fileset dir="`+name+`" includes="TEST-*.xml"/><report format="noframes" todir="`+name+`/html"/></junitreport>
  </target>`)
	}
	build := `<project name="check" default="report">
` + strings.Join(targets, "\n") + `
  <target name="report" depends="` + strings.Join(names, ",") + `"/>
</project>`
	if err := os.WriteFile(filepath.Join(work, "build.xml"), []byte(build), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ant, "-q")
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ant: %v\n%s", err, out)
	}
	return dirs
}

// TestMergeCLI: two scans' JSON Lines merge into the groups one scan of
// all their cores has.
func TestMergeCLI(t *testing.T) {
	dir, _ := crashDir(t)
	work := t.TempDir()
	var files []string
	for _, sub := range []string{"raw", "zst", "lz4", "systemd"} {
		_, out, _ := runCLI("scan", filepath.Join(dir, sub), "--sysroot", testfixture.Sysroot(), "--format", "jsonl")
		p := filepath.Join(work, sub+".jsonl")
		os.WriteFile(p, []byte(out), 0o644)
		files = append(files, p)
	}
	code, merged, stderr := runCLI(append(append([]string{"merge"}, files...), "--format", "json")...)
	type groups struct {
		Groups []struct {
			SignatureHash string   `json:"signature_hash"`
			Count         int      `json:"count"`
			Jobs          []string `json:"jobs"`
		} `json:"groups"`
	}
	var m groups
	if err := json.Unmarshal([]byte(merged), &m); err != nil || code != exitCrashes {
		t.Fatalf("merge: exit %d, %v: %s", code, err, stderr)
	}
	_, direct, _ := runCLI("scan", filepath.Join(dir, "raw"), filepath.Join(dir, "zst"), filepath.Join(dir, "lz4"), filepath.Join(dir, "systemd"),
		"--sysroot", testfixture.Sysroot(), "--format", "json")
	var d groups
	json.Unmarshal([]byte(direct), &d)
	if len(m.Groups) != len(d.Groups) || len(m.Groups) != 3 {
		t.Fatalf("merged %d groups, one scan %d", len(m.Groups), len(d.Groups))
	}
	for i := range m.Groups {
		if m.Groups[i].SignatureHash != d.Groups[i].SignatureHash || m.Groups[i].Count != d.Groups[i].Count {
			t.Errorf("group %d: merged %+v, scanned %+v", i, m.Groups[i], d.Groups[i])
		}
	}
	// The null-call crash is in raw and zst: two jobs.
	if g := m.Groups[0]; g.Count != 2 || len(g.Jobs) != 2 || g.Jobs[0] != files[0] || g.Jobs[1] != files[1] {
		t.Errorf("the two-core group %+v", g)
	}
	if code, _, stderr := runCLI("merge", filepath.Join(dir, "raw", "core")); code != exitBadInput || !strings.Contains(stderr, "merge:") {
		t.Errorf("merge of a core: exit %d, %s", code, stderr)
	}
}

// TestScanSARIF: the SARIF of a scan of real cores passes Microsoft's
// validator without a warning, with the source line of a core that has
// DWARF relative to --source-root.
func TestScanSARIF(t *testing.T) {
	tool := testfixture.NodeTool(t, "sarif-multitool")
	dir, _ := crashDir(t)
	f := testfixture.Get(t, "c-inline")
	d := filepath.Join(dir, "inline")
	os.MkdirAll(d, 0o755)
	testfixture.CopyFile(t, f.CoreZst, filepath.Join(d, "core.zst"))
	testfixture.CopyFile(t, f.Binary, filepath.Join(d, "bin"))
	// The fixture's DWARF names the directory it was built in; that
	// directory's parent is the "repository" here.
	_, js, _ := runCLI("analyze", f.CoreZst, "--binary", f.Binary, "--sysroot", testfixture.Sysroot(), "--format", "json")
	var r struct {
		Threads []struct {
			Crashed bool `json:"crashed"`
			Frames  []struct {
				File string `json:"file"`
			} `json:"frames"`
		} `json:"threads"`
	}
	json.Unmarshal([]byte(js), &r)
	src := ""
	for _, th := range r.Threads {
		for _, fr := range th.Frames {
			if th.Crashed && src == "" && filepath.IsAbs(fr.File) {
				src = fr.File
			}
		}
	}
	if src == "" {
		t.Fatal("c-inline's crashed thread has no absolute source path")
	}
	root := filepath.Dir(filepath.Dir(src))
	if _, err := os.Stat(root); err != nil {
		root = t.TempDir() // the build directory is gone: any directory will do for the rest
	}
	code, sarif, stderr := runCLI("scan", dir, "-r", "--sysroot", testfixture.Sysroot(), "--format", "sarif", "--source-root", root)
	if code != exitCrashes {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.HasPrefix(src, root+"/") {
		// The location is the first meaningful frame's file: one of the
		// fixture's sources, all under root.
		dir, _ := filepath.Rel(root, filepath.Dir(src))
		if !strings.Contains(sarif, `"uri": "`+dir+`/`) || !strings.Contains(sarif, `"uriBaseId": "SRCROOT"`) {
			t.Errorf("no location relative to %s (in %s/):\n%.2000s", root, dir, sarif)
		}
	}
	p := filepath.Join(t.TempDir(), "scan.sarif")
	os.WriteFile(p, []byte(sarif), 0o644)
	cmd := exec.Command(tool, "validate", p)
	cmd.Env = append(os.Environ(), "DOTNET_CLI_TELEMETRY_OPTOUT=1", "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1")
	out, err := cmd.CombinedOutput()
	if err != nil || regexp.MustCompile(`: (error|warning) [A-Z]+[0-9]+:`).Match(out) || !strings.Contains(string(out), "Analysis completed successfully") {
		t.Errorf("sarif-multitool validate: %v\n%s", err, out)
	}
	if code, _, stderr := runCLI("scan", dir, "--format", "sarif", "--source-root", filepath.Join(dir, "nope")); code != exitUsage {
		t.Errorf("--source-root that does not exist: exit %d, %s", code, stderr)
	}
}
