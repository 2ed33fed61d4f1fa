package analyze

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/redact"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
)

// TestNoSecretsByDefault crashes a fixture program with credentials on its
// command line and in its environment, and requires that none of them
// reaches the JSON, text or Markdown report unless Options.Env, and that
// the crash-relevant variables do.
func TestNoSecretsByDefault(t *testing.T) {
	if p, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || strings.TrimSpace(string(p)) != "core" {
		t.Skip("core_pattern is not \"core\"")
	}
	f := testfixture.Get(t, "c-null-deref")
	dir := t.TempDir()
	secrets := []string{"hunter2", "ghp_S3CR3T", "AKIAS3CR3T", "tok3n"}
	cmd := exec.Command("bash", "-c", `ulimit -c unlimited; exec "$0" --password=hunter2 --token tok3n https://me:hunter2@example.com/`, f.Binary)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "GITHUB_TOKEN=ghp_S3CR3T", "AWS_SECRET_ACCESS_KEY=AKIAS3CR3T", "RUST_BACKTRACE=1", "MALLOC_ARENA_MAX=2", "HOME=/root"}
	cmd.Run()
	core := filepath.Join(dir, "core")
	if _, err := os.Stat(core); err != nil {
		t.Skip("no core was written")
	}
	opts := Options{Binary: f.Binary, Sysroot: "/"}
	r, err := Analyze(core, opts)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r.WriteJSON(&out)
	render.Text(&out, r, render.TextOptions{})
	render.Markdown(&out, r, render.MarkdownOptions{})
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("the report holds %q:\n%s", s, out.String())
		}
	}
	if got := strings.Join(r.Process.Args[1:], " "); got != "--password=*** --token *** https://me:***@example.com/" {
		t.Errorf("args %q", got)
	}
	for _, e := range r.Process.Env {
		if name, _, _ := strings.Cut(e, "="); !redact.CrashVar(name) {
			t.Errorf("env holds %s", e)
		}
	}
	// bash adds PWD and SHLVL to what the test set: 8 variables.
	if env := strings.Join(r.Process.Env, " "); !strings.Contains(env, "RUST_BACKTRACE=1") || !strings.Contains(env, "MALLOC_ARENA_MAX=2") ||
		len(r.Process.Env) != 2 || r.Process.EnvOmitted != 6 || !r.Process.Redacted {
		t.Errorf("env %q, %d omitted, redacted %v", r.Process.Env, r.Process.EnvOmitted, r.Process.Redacted)
	}
	// --env: everything, as the process had it.
	opts.Env = true
	r, err = Analyze(core, opts)
	if err != nil {
		t.Fatal(err)
	}
	if env := strings.Join(r.Process.Env, " "); len(r.Process.Env) != 8 || !strings.Contains(env, "GITHUB_TOKEN=ghp_S3CR3T") ||
		r.Process.EnvOmitted != 0 || r.Process.Redacted || r.Process.Args[1] != "--password=hunter2" {
		t.Errorf("with Env: env %q args %q", r.Process.Env, r.Process.Args)
	}
}
