package analyze

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// qsortCrash sorts with a comparator that dereferences a null name. musl's
// qsort is a wrapper: mov r8,rcx; lea rcx,[wrapper_cmp]; jmp qsort_r.
const qsortCrash = `#include <stdlib.h>
#include <stdio.h>

struct item { int key; const char *name; };

static int by_name(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return *x->name - *y->name; /* item 3 has no name */
}

int main(int argc, char **argv)
{
	struct item items[] = {{4, "d"}, {2, "b"}, {3, 0}, {1, "a"}};
	(void)argv;
	qsort(items, 4 + (argc > 5), sizeof items[0], by_name);
	printf("%s\n", items[0].name);
	return 0;
}
`

// TestLiveMuslQsortTailJump is case 4 of the gdb/elfutils parity issue: in
// a musl static-pie, qsort tail-jumps to qsort_r, and musl's libc.a has no
// CFI, so the frames above the comparator are found by scanning. main's
// return address from `call qsort` is on the stack; the strict scan must
// take it (the call's target jumps to the frame's function) rather than
// skip main and report a crash before main.
//
// gdb cannot unwind musl's code without CFI past sift, so it is the oracle
// for what it can check: the frames it does unwind, and each fact the
// scan relied on for main: the word below main's frame is the return
// address, the instruction before it is `call <qsort>`, and qsort jumps to
// the function of the frame below main.
func TestLiveMuslQsortTailJump(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no live musl core")
	}
	muslGCC := testfixture.Tool(t, "musl-gcc")
	gdb := testfixture.Tool(t, "gdb")
	if p, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || strings.TrimSpace(string(p)) != "core" {
		t.Skipf("core_pattern is %q, not \"core\"", strings.TrimSpace(string(p)))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prog.c"), []byte(qsortCrash), 0o644); err != nil {
		t.Fatal(err)
	}
	// The link of testdata/cores/musl-relr/build.sh: musl-gcc's specs
	// have no static-pie mode.
	build := `set -e
L=/usr/lib/x86_64-linux-musl
"$0" -O1 -g -fPIE -c prog.c -o prog.o
gcc -static-pie -nostdlib -nostartfiles -o prog $L/rcrt1.o $L/crti.o "$(gcc -print-file-name=crtbeginS.o)" prog.o -L$L -lc \
	"$(gcc -print-libgcc-file-name)" "$(gcc -print-file-name=crtendS.o)" $L/crtn.o
ulimit -c unlimited
./prog || true`
	cmd := exec.Command("bash", "-c", build, muslGCC)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	core, prog := filepath.Join(dir, "core"), filepath.Join(dir, "prog")
	if _, err := os.Stat(core); err != nil {
		t.Skip("the program did not dump core")
	}
	r, err := Analyze(core, Options{Binary: prog})
	if err != nil {
		t.Fatal(err)
	}
	var th *report.Thread
	for i := range r.Threads {
		if r.Threads[i].Crashed {
			th = &r.Threads[i]
		}
	}
	if th == nil {
		t.Fatal("no crashed thread")
	}
	for _, d := range r.Diagnosis {
		if d.Kind == "early-init" {
			t.Errorf("diagnosis %q: %s", d.Kind, d.Summary)
		}
	}
	mainAt := -1
	for i, f := range th.Frames {
		if f.Function == "main" {
			mainAt = i
			break
		}
	}
	// musl names it qsort_r (a weak alias of __qsort_r); gdb checks below
	// that qsort jumps to it.
	if mainAt < 1 || !strings.HasSuffix(th.Frames[mainAt-1].Function, "qsort_r") {
		var names []string
		for _, f := range th.Frames {
			names = append(names, f.Function+"/"+string(f.Method))
		}
		t.Fatalf("main is not the caller of qsort_r: %v", names)
	}
	m, below := th.Frames[mainAt], th.Frames[mainAt-1]
	out, err := exec.Command(gdb, "-batch", "-nx", "-iex", "set debuginfod enabled off",
		"-ex", "file "+prog, "-ex", "core-file "+core, "-ex", "bt 2",
		"-ex", fmt.Sprintf("x/gx %#x", uint64(m.SP)-8),
		"-ex", fmt.Sprintf("x/i %#x", uint64(m.PC)-5),
		"-ex", "x/4i qsort").CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	gdbOut := string(out)
	// gdb's frames 0 and 1 (by_name, sift), which it unwinds with the
	// program's own CFI, are coreview's.
	for i := 0; i < 2; i++ {
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^#%d\s+0x0*%x in (\w+)`, i, uint64(th.Frames[i].PC)))
		if mm := re.FindStringSubmatch(gdbOut); mm == nil || mm[1] != th.Frames[i].Function {
			t.Errorf("frame #%d %s at %#x: gdb's frame #%d differs:\n%s", i, th.Frames[i].Function, uint64(th.Frames[i].PC), i, gdbOut)
		}
	}
	slot := regexp.MustCompile(`(?m)^0x[0-9a-f]+:\s+0x([0-9a-f]+)$`).FindStringSubmatch(gdbOut)
	if slot == nil {
		t.Errorf("gdb printed no word at %#x:\n%s", uint64(m.SP)-8, gdbOut)
	} else if v, _ := strconv.ParseUint(slot[1], 16, 64); v != uint64(m.PC) {
		t.Errorf("gdb: the word at %#x is not main's return address %#x:\n%s", uint64(m.SP)-8, uint64(m.PC), gdbOut)
	}
	if !regexp.MustCompile(fmt.Sprintf(`0x0*%x <main\+\d+>:\s+call\s+0x[0-9a-f]+ <qsort>`, uint64(m.PC)-5)).MatchString(gdbOut) {
		t.Errorf("gdb: the instruction before main's %#x is not call <qsort>:\n%s", uint64(m.PC), gdbOut)
	}
	start := uint64(below.PC) - below.Offset
	if !regexp.MustCompile(fmt.Sprintf(`<qsort\+\d+>:\s+jmp\s+0x0*%x <`, start)).MatchString(gdbOut) {
		t.Errorf("gdb: qsort does not jump to %s at %#x:\n%s", below.Function, start, gdbOut)
	}
}
