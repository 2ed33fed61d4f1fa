package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestDWARFCacheFlag: analyze writes glibc's inflated DWARF (the fixture
// sysroot's libc6-dbg file, compressed) to $XDG_CACHE_HOME/coreview/dwarf
// and reads it back with the same report; --no-cache neither reads nor
// writes it.
func TestDWARFCacheFlag(t *testing.T) {
	f := testfixture.Get(t, "c-abort")
	args := []string{"analyze", f.CoreZst, "--binary", f.Binary, "--sysroot", testfixture.Sysroot(), "--format", "json", "--offline"}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	entries := func() []string {
		m, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "coreview", "dwarf", "*"))
		return m
	}
	code, uncached, errs := runCLI(append(args, "--no-cache")...)
	if code != 0 {
		t.Fatalf("--no-cache: exit %d: %s", code, errs)
	}
	if e := entries(); len(e) != 0 {
		t.Fatalf("--no-cache wrote %v", e)
	}
	if !strings.Contains(uncached, `"file":"stdlib/abort.c"`) {
		t.Fatal("no source line for glibc's abort: the libc6-dbg DWARF was not read, the test proves nothing")
	}
	_, cold, _ := runCLI(args...)
	if len(entries()) == 0 {
		t.Fatal("no cache entry written")
	}
	_, warm, _ := runCLI(args...)
	if cold != uncached || warm != uncached {
		t.Error("reports differ with and without the cache")
	}
}
