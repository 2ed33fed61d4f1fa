package analyze

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// TestLiveAbortStackCut: a core of abort() cut short before its stack (a
// disk that filled, `head -c`) shows only the top of the abort path,
// pthread_kill: what called it is past where the walk stopped, so the
// report says that instead of "raised SIGABRT itself".
func TestLiveAbortStackCut(t *testing.T) {
	dir := t.TempDir()
	prog := testfixture.BuildC(t, "gcc", dir, "abort", abortC, "-g", "-O0")
	core, _ := testfixture.Run(t, dir, nil, prog)
	cut := filepath.Join(dir, "core.cut")
	truncateBeforeStack(t, core, cut)
	r, err := Analyze(cut, Options{Binary: prog})
	if err != nil {
		t.Fatal(err)
	}
	ct := r.CrashedThread()
	if ct == nil || ct.EndReason == "end of stack" {
		t.Fatalf("the cut core's walk was not cut: %+v", ct)
	}
	d := firstKind(t, r, report.KindAbort)
	if d.AbortInfo.Cause != "signal" || !strings.Contains(d.Summary, "is not known") || strings.Contains(d.Summary, "raised SIGABRT itself") {
		t.Errorf("cause %s: %q", d.AbortInfo.Cause, d.Summary)
	}
}

// truncateBeforeStack copies core to dst up to the start of the bytes of
// its stack: the highest writable PT_LOAD with bytes in the file (above
// it lie only the vvar and vdso pages, and vsyscall's).
func truncateBeforeStack(t *testing.T, core, dst string) {
	t.Helper()
	f, err := elf.Open(core)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stack *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W != 0 && p.Filesz > 0 && p.Vaddr < 1<<47 && (stack == nil || p.Vaddr > stack.Vaddr) {
			stack = p
		}
	}
	if stack == nil {
		t.Fatal("no writable PT_LOAD in the core")
	}
	b, err := os.ReadFile(core)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b[:stack.Off], 0o644); err != nil {
		t.Fatal(err)
	}
}
