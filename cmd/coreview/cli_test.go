package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// runCLIStdin is runCLI with standard input.
func runCLIStdin(stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	root := newRootCmd(&out, &errb)
	root.SetIn(stdin)
	code = runRoot(root, args, &errb)
	return code, out.String(), errb.String()
}

func TestFormatVersion(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"go install of a tag", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0, built with go1.26.0"},
		{"checkout", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "e757abd"}, {Key: "vcs.time", Value: "2026-12-01T20:14:57Z"}, {Key: "vcs.modified", Value: "true"}}},
			"(devel) (revision e757abd, 2026-12-01T20:14:57Z, modified), built with go1.26.0"},
		{"clean checkout", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201201457-e757abdaff46"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "e757abd"}, {Key: "vcs.modified", Value: "false"}}},
			"v0.0.0-20261201201457-e757abdaff46 (revision e757abd)"},
		{"no version", debug.BuildInfo{}, "(devel)"},
	}
	for _, tt := range tests {
		if got := formatVersion(&tt.bi); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	code, stdout, _ := runCLI("--version")
	if code != exitOK || !strings.HasPrefix(stdout, "coreview ") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("--version: exit %d, %q", code, stdout)
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"4096", 4096}, {"1K", 1024}, {"1k", 1024}, {"1KiB", 1024}, {"1kB", 1000}, {"1G", 1 << 30}, {"1GiB", 1 << 30},
		{"1GB", 1e9}, {"64G", 64 << 30}, {"2T", 2 << 40}, {"512M", 512 << 20}, {"10B", 10}, {" 3 M", 3 << 20},
	}
	for _, tt := range tests {
		if got, err := parseByteSize(tt.in); err != nil || got != tt.want {
			t.Errorf("%q: %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "G", "-1G", "1.5G", "1Q", "9999999T", "0x10"} {
		if got, err := parseByteSize(bad); err == nil {
			t.Errorf("%q: %d, want an error", bad, got)
		}
	}
	for n, want := range map[int64]string{64 << 30: "64G", 1536: "1536", 3 << 20: "3M", 1000: "1000"} {
		if s := byteSize(n); s.String() != want {
			t.Errorf("%d prints as %s, want %s", n, s.String(), want)
		}
	}
	// The flag takes the suffix: 1K is too small for any core.
	f := testfixture.Get(t, "c-recursion")
	if code, _, stderr := runCLI("analyze", f.CoreZst, "--max-core-size", "1K"); code != exitBadInput || !strings.Contains(stderr, "(1024 bytes)") {
		t.Errorf("--max-core-size 1K: exit %d, %s", code, stderr)
	}
}

// TestStdinCore: CORE "-" reads the core, compressed or not, from standard
// input and reports the same as the file; the spool is capped and removed.
func TestStdinCore(t *testing.T) {
	f := testfixture.Get(t, "c-threads")
	flags := []string{"--binary", f.Binary, "--sysroot", testfixture.Sysroot(), "--format", "json"}
	_, fromFile, _ := runCLI(append([]string{"analyze", f.CoreZst}, flags...)...)
	zst, err := os.ReadFile(f.CoreZst)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(f.RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	// (The fixture's raw core is cached in the temporary directory: read
	// it before the spool's directory becomes TMPDIR.)
	t.Setenv("TMPDIR", t.TempDir())
	code, fromStdin, stderr := runCLIStdin(bytes.NewReader(zst), append([]string{"analyze", "-"}, flags...)...)
	if code != exitOK {
		t.Fatalf("analyze -: exit %d, %s", code, stderr)
	}
	if want := strings.Replace(fromFile, `"core":`+strconv.Quote(f.CoreZst), `"core":"-"`, 1); fromStdin != want {
		t.Errorf("analyze - differs from analyze %s beyond the core's name", f.CoreZst)
	}
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("the spool was left behind: %v", left)
	}
	code, stdout, stderr := runCLIStdin(bytes.NewReader(raw), "whatis", "-", "0x1", "--format", "json")
	if code != exitOK || !strings.Contains(stdout, `"address":"0x1"`) {
		t.Errorf("whatis - on a raw core: exit %d, %s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLIStdin(bytes.NewReader(raw), "analyze", "-", "--max-core-size", "64K")
	if code != exitBadInput || !strings.Contains(stderr, "standard input: more than 65536 bytes") {
		t.Errorf("a core past --max-core-size on standard input: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCLIStdin(strings.NewReader("not a core"), "analyze", "-")
	if code != exitBadInput || !strings.Contains(stderr, "standard input") || strings.Contains(stderr, "coreview-stdin") {
		t.Errorf("garbage on standard input: exit %d, %s (want it named standard input, not the spool)", code, stderr)
	}
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("a spool was left behind: %v", left)
	}
}

// TestUsageErrorsByType: bad invocations exit 2, and an analysis error
// whose text happens to read like cobra's does not.
func TestUsageErrorsByType(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"analyze", dir}, "coreview scan " + dir},
		{[]string{"maps", dir}, "is a directory"},
		{[]string{"whatis", "core", "0x1", "--format", "yaml"}, `--format must be text or json, not "yaml"`},
		{[]string{"analyz", "core"}, "did you mean analyze?"},
		{[]string{"scan"}, "requires at least 1 arg"},
		{[]string{"scan", dir, "--format", "xml"}, "table, jsonl, json, markdown, junit or sarif"},
		{[]string{"analyze", "core", "--max-core-size", "lots"}, "not a size"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(tt.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", tt.args, code, stdout, stderr, exitUsage, tt.want)
		}
	}
	var discard bytes.Buffer
	for _, msg := range []string{"note 3: invalid argument count 7", "unknown flag byte 0x3 in DW_AT_foo", "accepts only PT_LOAD"} {
		if code := exitCode(errors.New(msg), &discard); code != exitBadInput {
			t.Errorf("analysis error %q maps to %d, want %d", msg, code, exitBadInput)
		}
	}
}

// TestCompletion asks cobra's completion command what the shells ask it.
func TestCompletion(t *testing.T) {
	complete := func(args ...string) []string {
		t.Helper()
		code, stdout, stderr := runCLI(append([]string{"__complete"}, args...)...)
		if code != exitOK {
			t.Fatalf("__complete %v: exit %d, %s", args, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		return lines[:len(lines)-1] // the last line is the directive
	}
	values := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			v, _, _ := strings.Cut(l, "\t")
			out = append(out, v)
		}
		return out
	}
	if got := strings.Join(values(complete("scan", "--format", "")), " "); got != "table jsonl json markdown junit sarif" {
		t.Errorf("scan --format completes to %q", got)
	}
	if got := strings.Join(values(complete("whatis", "core", "--format", "")), " "); got != "text json" {
		t.Errorf("whatis --format completes to %q", got)
	}
	failOn := values(complete("scan", "dir", "--fail-on", "stack-overflow,"))
	if !contains(failOn, "stack-overflow,abort") || !contains(failOn, "stack-overflow,SIGABRT") {
		t.Errorf("--fail-on stack-overflow, completes to %v", failOn)
	}

	// --thread: the core's own thread ids, the crashed one said so.
	f := testfixture.Get(t, "c-threads")
	_, stdout, _ := runCLI("analyze", f.CoreZst, "--binary", f.Binary, "--sysroot", testfixture.Sysroot(), "--format", "json")
	var r struct {
		Threads []struct {
			TID     int  `json:"tid"`
			Crashed bool `json:"crashed"`
		} `json:"threads"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || len(r.Threads) < 3 {
		t.Fatalf("c-threads: %v, %d threads", err, len(r.Threads))
	}
	want := []string{"all\tevery thread", "crashed\tthe thread that took the signal"}
	for _, th := range r.Threads {
		desc := "thread"
		if th.Crashed {
			desc = "the crashed thread"
		}
		want = append(want, strconv.Itoa(th.TID)+"\t"+desc)
	}
	if got := complete("analyze", f.CoreZst, "--thread", ""); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("--thread completes to\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Flag names with descriptions, as zsh and fish show them: no
	// backticks (and --help still names the argument).
	for _, l := range complete("analyze", "core", "--") {
		if strings.Contains(l, "`") {
			t.Errorf("completion description with a backtick: %q", l)
		}
	}
	if _, help, _ := runCLI("analyze", "--help"); !strings.Contains(help, "--sysroot DIR") {
		t.Errorf("--help lost the argument name:\n%s", help)
	}
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
