package analyze

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/report"
)

// goQuitCore runs a Go program that blocks reading its stdin (a pipe the
// test holds open) under GOTRACEBACK=crash, sends it SIGQUIT once one of its
// threads sits in read(0, …), and returns the core the runtime dumps when
// it re-raises the signal, with the program's stderr. It skips when the
// kernel does not write cores named "core" in the working directory.
func goQuitCore(t *testing.T, prog string) (core, stderr string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no live Go core")
	}
	if p, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || strings.TrimSpace(string(p)) != "core" {
		t.Skipf("core_pattern is %q, not \"core\"", strings.TrimSpace(string(p)))
	}
	dir := t.TempDir()
	cmd := exec.Command("bash", "-c", "ulimit -c unlimited; exec \"$0\"", prog)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTRACEBACK=crash")
	var errBuf strings.Builder
	cmd.Stderr = &errBuf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	// Wait until a thread is in read(0, …): /proc/PID/task/TID/syscall
	// starts with the syscall number (0, read) and its first argument.
	blocked := false
	for deadline := time.Now().Add(10 * time.Second); !blocked && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "syscall"))
		for _, task := range tasks {
			if b, err := os.ReadFile(task); err == nil && strings.HasPrefix(string(b), "0 0x0 ") {
				blocked = true
			}
		}
	}
	if !blocked {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("%s never blocked in read(0, …)", prog)
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	core = filepath.Join(dir, "core")
	if _, err := os.Stat(core); err != nil {
		t.Skipf("%s did not dump core after SIGQUIT", prog)
	}
	return core, errBuf.String()
}

// goSignalPC is the PC the Go runtime prints for the signal it got:
// "SIGQUIT: quit\nPC=0x408b6c m=0 sigcode=0".
var goSignalPC = regexp.MustCompile(`(?m)^PC=0x([0-9a-f]+) `)

// euFrame is one frame as eu-stack prints it.
type euFrame struct {
	pc   uint64
	name string
}

var (
	euThread = regexp.MustCompile(`^TID (\d+):$`)
	euLine   = regexp.MustCompile(`^#(\d+)\s+0x([0-9a-f]+)\s*(\S*)`)
)

// euStack runs eu-stack on a core and returns each thread's frames.
func euStack(t *testing.T, tool, binary, core string) map[int][]euFrame {
	t.Helper()
	out, _ := exec.Command(tool, "--core", core, "-e", binary).Output() // exits 1 when a walk ends early
	threads := map[int][]euFrame{}
	tid := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if m := euThread.FindStringSubmatch(sc.Text()); m != nil {
			tid, _ = strconv.Atoi(m[1])
			continue
		}
		if m := euLine.FindStringSubmatch(sc.Text()); m != nil && tid != 0 {
			pc, _ := strconv.ParseUint(m[2], 16, 64)
			threads[tid] = append(threads[tid], euFrame{pc, m[3]})
		}
	}
	if len(threads) == 0 {
		t.Fatalf("eu-stack printed no threads:\n%s", out)
	}
	return threads
}

// TestLiveGofmtMatchesEUStack is case 3 of the gdb/elfutils parity issue:
// the toolchain's gofmt has a symbol table but no DWARF and no .eh_frame,
// so every step is a fallback. frame 0 (runtime.raise) is frameless, and
// the kernel returns Go's signal handler to runtime.sigreturn__sigaction,
// which no call precedes. eu-stack's frames must all be in coreview's, in
// order, with the same PCs and names; where coreview has a frame eu-stack
// lacks, it must be one the frameless-leaf rule found (method "call") and
// the call before its return address must target the function of the
// frame below it (eu-stack's rbp chain skips such callers).
func TestLiveGofmtMatchesEUStack(t *testing.T) {
	eu := testfixture.Tool(t, "eu-stack")
	goTool := testfixture.Tool(t, "go")
	out, err := exec.Command(goTool, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	gofmt := filepath.Join(strings.TrimSpace(string(out)), "bin", "gofmt")
	if _, err := os.Stat(gofmt); err != nil {
		t.Skipf("no gofmt in GOROOT: %v", err)
	}
	core, stderr := goQuitCore(t, gofmt)
	m := goSignalPC.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("the Go runtime printed no PC= line:\n%s", lastLines(stderr, 10))
	}
	signalPC, _ := strconv.ParseUint(m[1], 16, 64)
	r, err := Analyze(core, Options{Binary: gofmt})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(core, Options{Binary: gofmt})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := euStack(t, eu, gofmt, core)
	reachedRead, sawSignalPC := false, false
	for i := range r.Threads {
		th := &r.Threads[i]
		wf, ok := want[th.TID]
		if !ok {
			t.Errorf("thread %d: eu-stack has no such thread", th.TID)
			continue
		}
		j := 0
		for k, f := range th.Frames {
			if f.Function == "syscall.read" {
				reachedRead = true
			}
			if j < len(wf) && uint64(f.PC) == wf[j].pc {
				if wf[j].name != "" && wf[j].name != f.Function {
					t.Errorf("thread %d frame #%d: %q, eu-stack %q", th.TID, k, f.Function, wf[j].name)
				}
				j++
				continue
			}
			switch {
			case j == len(wf):
				// eu-stack stopped ("No DWARF information found"):
				// nothing to compare coreview's further frames with.
				t.Logf("thread %d frame #%d %s (%#x, by %s): past eu-stack's last frame", th.TID, k, f.Function, uint64(f.PC), f.Method)
			case f.Method == "signal":
				// The frame a signal interrupted, from the ucontext:
				// eu-stack does not read it without CFI and follows
				// rbp from the trampoline instead. The runtime printed
				// the PC of the signal it got (SIGQUIT).
				if th.Crashed && uint64(f.PC) == signalPC {
					sawSignalPC = true
				}
			case f.Method == "call" && k > 0:
				// The caller of a frameless leaf, which eu-stack's rbp
				// chain skips: the call before the return address
				// must target the leaf.
				below := th.Frames[k-1]
				c, ok := x86.CallBefore(s.Mem, uint64(f.PC))
				if !ok || !c.Direct || c.Target != uint64(below.PC)-below.Offset {
					t.Errorf("thread %d frame #%d %s: the call before %#x does not target %s (%+v)", th.TID, k, f.Function, uint64(f.PC), below.Function, c)
				}
			default:
				t.Errorf("thread %d frame #%d %s (%#x, by %s): not in eu-stack's frames (next: %#x %s)",
					th.TID, k, f.Function, uint64(f.PC), f.Method, wf[min(j, len(wf)-1)].pc, wf[min(j, len(wf)-1)].name)
			}
		}
		if j < len(wf) {
			t.Errorf("thread %d: eu-stack's frame #%d %#x %s and after are not in coreview's %d frames (ended: %s %s)",
				th.TID, j, wf[j].pc, wf[j].name, len(th.Frames), th.EndReason, th.EndDetail)
		}
		t.Logf("thread %d: %d frames, eu-stack %d", th.TID, len(th.Frames), len(wf))
	}
	if !reachedRead {
		t.Error("no thread reached syscall.read, as eu-stack does")
	}
	if !sawSignalPC {
		t.Errorf("the crashed thread has no frame interrupted at %#x, the PC the runtime printed for SIGQUIT", signalPC)
	}
	// gofmt is released without DWARF and without cgo: the runtime made
	// every thread with a stack from its heap, so no mapping is a
	// thread's stack, guard or signal stack, and every frame is on the
	// main thread's stack or the heap.
	for _, mp := range r.Mappings {
		switch mp.Role {
		case report.RoleStack, report.RoleGuard, report.RoleSigaltstack, report.RoleStackSegment, report.RoleStackUnguarded:
			t.Errorf("[%#x, %#x) is labelled %s of thread %d in gofmt, a Go program without cgo", mp.Start, mp.End, mp.Role, mp.Owner)
		}
	}
	for _, th := range r.Threads {
		for _, f := range th.Frames {
			for _, mp := range r.Mappings {
				if uint64(f.SP) >= uint64(mp.Start) && uint64(f.SP) < uint64(mp.End) && mp.Role != report.RoleHeap && mp.Role != report.RoleMainStack {
					t.Errorf("thread %d: %s's stack pointer %#x is in a %s mapping", th.TID, f.Function, uint64(f.SP), mp.Role)
				}
			}
		}
	}
}

// goReader blocks reading its stdin, so that SIGQUIT finds a goroutine in
// read(2), as gofmt's does.
const goReader = `package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	b, err := io.ReadAll(os.Stdin)
	fmt.Println(len(b), err)
}
`

// TestLiveGoMatchesGDB builds a Go program with DWARF (.debug_frame, line
// tables, inlining), has the runtime dump core on SIGQUIT as in
// TestLiveGofmtMatchesEUStack, and compares every thread with gdb, which
// reads the same .debug_frame: the PCs, stack pointers, signal frames,
// names and inlined frames must be gdb's.
func TestLiveGoMatchesGDB(t *testing.T) {
	t.Parallel()
	goTool := testfixture.Tool(t, "go")
	gdb := testfixture.Tool(t, "gdb")
	if testing.Short() {
		t.Skip("-short: no live Go core")
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"main.go": goReader, "go.mod": "module goreader\n\ngo 1.21\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prog := filepath.Join(dir, "goreader")
	cmd := exec.Command(goTool, "build", "-o", prog, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	core, _ := goQuitCore(t, prog)
	r, err := Analyze(core, Options{Binary: prog})
	if err != nil {
		t.Fatal(err)
	}
	want := gdbFramesOf(t, gdb, prog, "/", "", core)
	// gdb prints a Go minimal symbol as "runtime[sighandler]" (its Go
	// demangling of "info symbol"); its DWARF name is the Go one.
	for i := range want {
		for k := range want[i].Frames {
			if f := &want[i].Frames[k]; f.Name != nil && f.Msym != nil && strings.Contains(*f.Msym, "[") {
				f.Msym = f.Name
			}
		}
	}
	compareWithGDB(t, want, r, core, Options{Binary: prog})
}
