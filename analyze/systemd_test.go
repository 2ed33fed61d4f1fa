package analyze

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// TestSystemdExeXattr: systemd-coredump records the executable's path in
// the user.coredump.exe attribute. Under --sysroot that path finds the
// binary even where the core's own NT_FILE path does not exist; a symlink
// at that path leading out of the sysroot is not followed.
func TestSystemdExeXattr(t *testing.T) {
	f := testfixture.Get(t, "c-null-deref")
	dir := t.TempDir()
	core := filepath.Join(dir, "core.zst")
	testfixture.CopyFile(t, f.CoreZst, core)
	const exe = "/opt/app/bin/prog"
	if err := unix.Setxattr(core, "user.coredump.exe", []byte(exe), 0); err != nil {
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) {
			t.Skipf("the temporary filesystem refuses user xattrs: %v", err)
		}
		t.Fatal(err)
	}
	sysroot := filepath.Join(dir, "root")
	prog := filepath.Join(sysroot, exe)
	if err := os.MkdirAll(filepath.Dir(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	testfixture.CopyFile(t, f.Binary, prog)
	wantFile, _ := filepath.EvalSymlinks(prog)

	r, err := Analyze(core, Options{Sysroot: sysroot})
	if err != nil {
		t.Fatal(err)
	}
	m := exeModule(t, r)
	if m.Status != "ok" || m.File != wantFile {
		t.Errorf("executable module %+v, want status ok from %s", m, wantFile)
	}
	if r.Stored == nil || r.Stored.Systemd == nil || r.Stored.Systemd.Exe != exe {
		t.Errorf("stored = %+v, want the xattr's exe", r.Stored)
	}
	if fr := r.CrashedThread().Frames; len(fr) == 0 || fr[0].Function != "weight_of" {
		t.Errorf("frame 0 = %+v, want weight_of", fr)
	}

	// The same path as a symlink to the fixture's binary, outside the
	// sysroot.
	if err := os.Remove(prog); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.Binary, prog); err != nil {
		t.Fatal(err)
	}
	r, err = Analyze(core, Options{Sysroot: sysroot})
	if err != nil {
		t.Fatal(err)
	}
	if m := exeModule(t, r); m.Status != "missing" || m.File != "" {
		t.Errorf("executable module %+v: a symlink out of the sysroot was followed", m)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, exe+", resolves outside the sysroot") {
		t.Errorf("no warning about the escaping symlink:\n%s", w)
	}

	// Nothing at that path in the sysroot: the warning names it as the
	// file systemd-coredump recorded, not one the user gave.
	if err := os.Remove(prog); err != nil {
		t.Fatal(err)
	}
	r, err = Analyze(core, Options{Sysroot: sysroot})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(r.Warnings, "\n")
	if !strings.Contains(w, "the executable systemd-coredump recorded, "+prog+", was not read: ") || strings.Contains(w, "the executable given") {
		t.Errorf("want the recorded executable named as systemd-coredump's:\n%s", w)
	}
}

func exeModule(t *testing.T, r *report.Report) report.Module {
	t.Helper()
	for _, m := range r.Modules {
		if m.Path == r.Process.Exe {
			return m
		}
	}
	t.Fatalf("no module for the executable %s in %+v", r.Process.Exe, r.Modules)
	return report.Module{}
}
