package symbolize

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// TestSysrootConfinesDebugFiles: a build-id symlink in the sysroot's
// debug directory to a matching debug file outside the sysroot is not
// followed out (it resolves inside, where there is none), and a module
// path that is a FIFO is reported as refused, not as "file not found".
func TestSysrootConfinesDebugFiles(t *testing.T) {
	prog := filepath.Join(testfixture.Root(), "testdata", "cores", "c-null-call", "prog")
	data, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	sysroot := t.TempDir()
	os.MkdirAll(filepath.Join(sysroot, "bin"), 0o755)
	os.WriteFile(filepath.Join(sysroot, "bin", "prog"), data, 0o644)
	outside := filepath.Join(t.TempDir(), "prog.debug")
	os.WriteFile(outside, data, 0o644)
	syscall.Mkfifo(filepath.Join(sysroot, "bin", "fifo.so"), 0o600)

	debugDir := filepath.Join(sysroot, "usr", "lib", "debug")
	load := func() *Table {
		return Load([]Region{
			{Start: 0x555555554000, End: 0x555555555000, Off: 0, Path: "/bin/prog"},
			{Start: 0x7ffff7000000, End: 0x7ffff7001000, Off: 0, Path: "/bin/fifo.so"},
		}, Options{ExePath: "/bin/prog", Sysroot: sysroot, DebugDirs: []string{debugDir}})
	}
	tab := load()
	m := tab.Modules[0]
	// Found, and unchecked: the regions have no permissions and there is
	// no core memory to compare with.
	if m.Status != StatusUnchecked || m.File != filepath.Join(sysroot, "bin", "prog") {
		t.Fatalf("module: %s %s; warnings %q", m.Status, m.File, tab.Warnings)
	}
	id := m.buildID()
	if !validBuildID(id) {
		t.Fatalf("fixture has no build-id")
	}
	tab.Close()
	link := filepath.Join(debugDir, ".build-id", id[:2], id[2:]+".debug")
	os.MkdirAll(filepath.Dir(link), 0o755)
	for _, target := range []string{outside, "../../../../../../../../../../../../" + outside} {
		os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		tab := load()
		if p, how := tab.Modules[0].DebugFile(); p != "" {
			t.Errorf("symlink to %s: debug file %s (%s) used, from outside the sysroot", target, p, how)
		}
		tab.Close()
	}
	// The same file inside the sysroot is found, so the lookup works.
	os.Remove(link)
	os.Symlink("/bin/prog", link)
	tab = load()
	defer tab.Close()
	if p, _ := tab.Modules[0].DebugFile(); p != link {
		t.Errorf("debug file inside the sysroot: %q, want %s", p, link)
	}
	w := strings.Join(tab.Warnings, "\n")
	if !strings.Contains(w, "module /bin/fifo.so: no file opened") || !strings.Contains(w, "refused: not a regular file but a named pipe") {
		t.Errorf("the FIFO is not reported as refused: %q", tab.Warnings)
	}
}

// TestModuleShrinksWhileRead: a module's file truncated after it was
// mapped leaves it without symbols and DWARF and says the file changed;
// before, reading its tables raised SIGBUS and killed the process.
func TestModuleShrinksWhileRead(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testfixture.Root(), "testdata", "cores", "c-null-call", "prog"))
	if err != nil {
		t.Fatal(err)
	}
	m := openTestModule(t, data)
	if err := os.Truncate(m.File, 4096); err != nil {
		t.Fatal(err)
	}
	if n := len(m.Symbols()); n != 0 {
		t.Errorf("%d symbols read from a file cut to 4096 bytes", n)
	}
	m.HasDWARF()
	if err := m.Changed(); !errors.Is(err, safefile.ErrChanged) {
		t.Errorf("Changed() = %v, want ErrChanged (dwarf error %v)", err, m.dwarfErr)
	}
}

// TestMissingModulesSummarised: past maxMissingNamed, modules without a
// file are counted in one warning; past maxModules, distinct files are
// not loaded as modules at all, saying so.
func TestMissingModulesSummarised(t *testing.T) {
	regions := func(n int) []Region {
		rs := make([]Region, n)
		for i := range rs {
			start := 0x10000000 + uint64(i)*0x1000
			rs[i] = Region{Start: start, End: start + 0x1000, Path: fmt.Sprintf("/nonexistent/coreview-test/lib%d.so", i)}
		}
		return rs
	}
	tab := Load(regions(100), Options{})
	named, summary := 0, ""
	for _, w := range tab.Warnings {
		if strings.Contains(w, "file not found") {
			named++
		}
		if strings.HasPrefix(w, "and ") {
			summary = w
		}
	}
	if named != maxMissingNamed || !strings.Contains(summary, "and 80 more modules") || len(tab.Modules) != 100 {
		t.Errorf("%d named, summary %q, %d modules", named, summary, len(tab.Modules))
	}
	tab.Close()
	tab = Load(regions(maxModules+10), Options{})
	defer tab.Close()
	if len(tab.Modules) != maxModules || !strings.Contains(strings.Join(tab.Warnings, "\n"), fmt.Sprintf("the core maps %d distinct files", maxModules+10)) {
		t.Errorf("%d modules; warnings %q", len(tab.Modules), tab.Warnings[:3])
	}
}
