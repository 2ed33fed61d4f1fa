package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestDebuginfodFlags: DEBUGINFOD_URLS turns the debuginfod client on
// (here at a port that refuses, which costs a warning), --offline turns it
// off, and --debug-dir finds a debug file by build-id: the stripped
// program's frames then read main.c:30.
func TestDebuginfodFlags(t *testing.T) {
	f := testfixture.Get(t, "c-inline")
	bin := filepath.Join(t.TempDir(), "prog")
	testfixture.CopyFile(t, filepath.Join(f.Dir, "split", "prog"), bin)
	t.Setenv("DEBUGINFOD_URLS", "http://127.0.0.1:1")
	t.Setenv("COREVIEW_DEBUGINFOD_CACHE", t.TempDir())
	base := []string{"analyze", f.CoreZst, "--binary", bin, "--sysroot", testfixture.Sysroot(), "--search-path", f.Dir}

	code, out, errs := runCLI(base...)
	if code != 0 || !strings.Contains(errs, "no debug file from debuginfod") || strings.Contains(out, "main.c:30") {
		t.Errorf("with DEBUGINFOD_URLS: exit %d, stderr %q; want a debuginfod warning and no main.c line", code, errs)
	}
	code, _, errs = runCLI(append(base, "--offline")...)
	if code != 0 || strings.Contains(errs, "debuginfod") {
		t.Errorf("--offline: exit %d, stderr %q; want no debuginfod at all", code, errs)
	}
	debugDir := t.TempDir()
	// The build-id directory layout: .build-id/<first byte>/<rest>.debug.
	testfixture.CopyFile(t, filepath.Join(f.Dir, "split", "prog.debug"),
		filepath.Join(debugDir, ".build-id", "d8", "19cd8406d4319ba3ba3d38cdc0b3d77fb82d36.debug"))
	code, out, errs = runCLI(append(base, "--offline", "--debug-dir", debugDir)...)
	if code != 0 || !strings.Contains(out, "sort_twice (inlined) at") || !strings.Contains(out, "c-inline/main.c:30") {
		t.Errorf("--debug-dir: exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
}
