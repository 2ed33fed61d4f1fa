package testfixture

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Live cores: cores of real programs (coreutils, python3, perl, a C or Go
// program built from source) that a test starts, crashes, kills or gcores
// itself, so every class of crash is checked on a core nobody here wrote.
// Each helper skips when what it needs is missing (a tool, a kernel that
// writes cores to a file) and fails instead under RequireTools.

// liveTimeout bounds how long a helper waits for a process to block, die
// or be dumped.
const liveTimeout = 60 * time.Second

// Proc is a program a test started for a core: its standard input is a
// pipe the test holds (so `cat` blocks in read), and its output is kept.
type Proc struct {
	Cmd   *exec.Cmd
	Dir   string // the working directory, where the kernel writes the core
	Stdin *os.File
	out   bytes.Buffer
	done  chan error
}

// skipOrFail skips the test, or fails it under RequireTools.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequireTools() {
		t.Fatalf(format+" (and COREVIEW_REQUIRE_TOOLS=1 or CI is set)", args...)
	}
	t.Skipf(format, args...)
}

// corePattern returns the kernel's core_pattern and whether cores go to a
// file; a pattern that pipes to a program (systemd-coredump, apport) gives
// the test nothing to read.
func corePattern(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no live core")
	}
	b, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		skipOrFail(t, "cannot read core_pattern: %v", err)
	}
	p := strings.TrimSpace(string(b))
	if strings.HasPrefix(p, "|") {
		skipOrFail(t, "core_pattern pipes cores to a program (%q): no core file to read", p)
	}
	if p == "" {
		p = "core"
	}
	return p
}

// Start starts argv[0] (looked up in PATH; skipped when absent) in dir with
// RLIMIT_CORE raised to unlimited, the environment env added to the
// test's, stdin a pipe and stdout and stderr kept. The process is killed
// when the test ends.
func Start(t testing.TB, dir string, env []string, argv ...string) *Proc {
	t.Helper()
	corePattern(t)
	prog := Tool(t, argv[0])
	sh := Tool(t, "sh")
	// sh raises the soft limit and execs the program, which keeps sh's
	// pid: Go's os/exec cannot set a child's rlimits.
	cmd := exec.Command(sh, append([]string{"-c", `ulimit -c unlimited || exit 97; exec "$0" "$@"`, prog}, argv[1:]...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = r
	p := &Proc{Cmd: cmd, Dir: dir, Stdin: w, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", argv[0], err)
	}
	r.Close()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		w.Close()
		cmd.Process.Kill()
	})
	return p
}

// Pid returns the process's pid.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Output returns what the process wrote to stdout and stderr; call it
// after Core.
func (p *Proc) Output() string { return p.out.String() }

// WaitBlocked waits until the process runs comm (its exec is done) and is
// asleep in the kernel (state S in /proc/PID/stat): blocked in read(),
// pause() or nanosleep().
func (p *Proc) WaitBlocked(t testing.TB, comm string) {
	t.Helper()
	deadline := time.Now().Add(liveTimeout)
	asleep := 0
	for time.Now().Before(deadline) {
		c, state, err := procState(p.Pid())
		if err != nil {
			t.Fatalf("process %d ended before it blocked: %s", p.Pid(), p.out.String())
		}
		// Asleep twice in a row, 20 ms apart: a process paging in its
		// code sleeps too, but not for long.
		if c == comm && state == 'S' {
			if asleep++; asleep == 2 {
				return
			}
		} else {
			asleep = 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d did not block as %s within %v", p.Pid(), comm, liveTimeout)
}

// procState returns the comm and state fields of /proc/PID/stat, whose
// comm may hold spaces and parentheses: "pid (comm) state ...".
func procState(pid int) (comm string, state byte, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, err
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open || end+2 >= len(s) {
		return "", 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, s)
	}
	return s[open+1 : end], s[end+2], nil
}

// Kill sends sig to the process from another process (a shell's kill), as
// a watchdog or `timeout -s` would: the siginfo then says SI_USER and that
// process's pid, which Kill returns.
func (p *Proc) Kill(t testing.TB, sig syscall.Signal) (senderPid int) {
	t.Helper()
	sh := Tool(t, "sh")
	b, err := exec.Command(sh, "-c", `echo $$; kill -`+strconv.Itoa(int(sig))+` "$0"`, strconv.Itoa(p.Pid())).CombinedOutput()
	if err != nil {
		t.Fatalf("kill -%d %d: %v: %s", sig, p.Pid(), err, b)
	}
	senderPid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("kill: %q", b)
	}
	return senderPid
}

// Core waits for the process to die and returns the core the kernel
// wrote for it, found by core_pattern. It skips when the process dumped
// none (a kernel or container that does not write cores).
func (p *Proc) Core(t testing.TB) string {
	t.Helper()
	var err error
	select {
	case err = <-p.done:
	case <-time.After(liveTimeout):
		t.Fatalf("process %d did not end within %v", p.Pid(), liveTimeout)
	}
	ws, ok := p.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ok && ws.Exited() && ws.ExitStatus() == 97 {
		skipOrFail(t, "cannot raise RLIMIT_CORE to unlimited")
	}
	if !ok || !ws.Signaled() {
		t.Fatalf("process %d did not die of a signal (%v): %s", p.Pid(), err, p.out.String())
	}
	core, found := findCore(t, p.Dir, p.Pid(), filepath.Base(p.Cmd.Args[3]), int(ws.Signal()))
	if !ws.CoreDump() || !found {
		skipOrFail(t, "process %d died of %v without a core file (core dumped %v; core_pattern %q)", p.Pid(), ws.Signal(), ws.CoreDump(), corePattern(t))
	}
	return core
}

// findCore finds the core of pid: core_pattern expanded with what the test
// knows (%p, %P, %i, %I, %e, %s, %u, %g, %%) and globbed for the rest (%t,
// %h...), relative to dir unless absolute; with core_uses_pid set and no %p
// in the pattern the kernel appends ".PID" (fs/coredump.c format_corename).
func findCore(t testing.TB, dir string, pid int, exe string, sig int) (string, bool) {
	pat := corePattern(t)
	var b strings.Builder
	hasPid := false
	for i := 0; i < len(pat); i++ {
		if pat[i] != '%' || i+1 == len(pat) {
			b.WriteString(globEscape(pat[i : i+1]))
			continue
		}
		i++
		switch pat[i] {
		case '%':
			b.WriteString("%")
		case 'p', 'P', 'i', 'I':
			b.WriteString(strconv.Itoa(pid))
			hasPid = true
		case 'e':
			b.WriteString(globEscape(exe))
		case 's':
			b.WriteString(strconv.Itoa(sig))
		case 'u':
			b.WriteString(strconv.Itoa(os.Getuid()))
		case 'g':
			b.WriteString(strconv.Itoa(os.Getgid()))
		default:
			b.WriteString("*")
		}
	}
	name := b.String()
	if !hasPid {
		if v, err := os.ReadFile("/proc/sys/kernel/core_uses_pid"); err == nil && strings.TrimSpace(string(v)) == "1" {
			name += "." + strconv.Itoa(pid)
		}
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	m, _ := filepath.Glob(name)
	if len(m) != 1 {
		return "", false
	}
	if !strings.HasPrefix(m[0], dir+string(filepath.Separator)) {
		// A core written outside the test's directory is moved in,
		// so the test's cleanup removes it.
		to := filepath.Join(dir, "core."+strconv.Itoa(pid))
		if err := os.Rename(m[0], to); err != nil {
			return m[0], true
		}
		return to, true
	}
	return m[0], true
}

func globEscape(s string) string {
	r := strings.NewReplacer("*", `\*`, "?", `\?`, "[", `\[`, `\`, `\\`)
	return r.Replace(s)
}

// Run runs argv in dir with env added and returns the core it dumps,
// and the process's output (Start, then Core).
func Run(t testing.TB, dir string, env []string, argv ...string) (core, output string) {
	t.Helper()
	p := Start(t, dir, env, argv...)
	p.Stdin.Close()
	core = p.Core(t)
	return core, p.Output()
}

// Gcore writes a core of the live process with gdb's gcore, the process
// going on running, and returns its path (in the process's directory).
func (p *Proc) Gcore(t testing.TB) string {
	t.Helper()
	gdb := Tool(t, "gdb")
	core := filepath.Join(p.Dir, fmt.Sprintf("gcore.%d", p.Pid()))
	cmd := exec.Command(gdb, "-batch", "-nx", "-iex", "set debuginfod enabled off",
		"-p", strconv.Itoa(p.Pid()), "-ex", "gcore "+core)
	out, err := cmd.CombinedOutput()
	if _, serr := os.Stat(core); err != nil || serr != nil {
		// gdb cannot attach under a restrictive ptrace_scope or
		// without CAP_SYS_PTRACE in a container.
		skipOrFail(t, "gcore of %d failed (%v): %s", p.Pid(), err, lastLines(string(out), 4))
	}
	return core
}

// BuildC compiles a C source file with gcc (or the compiler cc names, such
// as musl-gcc) in dir and returns the program's path.
func BuildC(t testing.TB, cc, dir, name, source string, flags ...string) string {
	t.Helper()
	comp := Tool(t, cc)
	src := filepath.Join(dir, name+".c")
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, name)
	args := append(append([]string{}, flags...), "-o", prog, src)
	if out, err := exec.Command(comp, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
	}
	return prog
}

// BuildGo builds a Go main package from one source file in dir and
// returns the program's path: static, linked by Go's own linker.
func BuildGo(t testing.TB, dir, name, source string) string {
	t.Helper()
	return buildGo(t, dir, name, source, false)
}

// BuildCgo is BuildGo with cgo, linked by the system linker
// (-linkmode=external, the C library dynamically linked).
func BuildCgo(t testing.TB, dir, name, source string) string {
	t.Helper()
	Tool(t, "gcc")
	return buildGo(t, dir, name, source, true)
}

func buildGo(t testing.TB, dir, name, source string, cgo bool) string {
	t.Helper()
	gocmd := Tool(t, "go")
	src := filepath.Join(dir, name)
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module "+name+"\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, name+".bin")
	args, env := []string{"build", "-o", prog, "."}, "CGO_ENABLED=0"
	if cgo {
		args, env = []string{"build", "-ldflags=-linkmode=external", "-o", prog, "."}, "CGO_ENABLED=1"
	}
	cmd := exec.Command(gocmd, args...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", env)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s (%s): %v\n%s", strings.Join(args, " "), env, err, out)
	}
	return prog
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
