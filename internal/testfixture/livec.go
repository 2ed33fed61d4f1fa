package testfixture

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// liveCores caches the cores LiveCCore made, one per program, for the
// whole test binary: each takes a compile and a crash.
var liveCores sync.Map // program → *liveCore

type liveCore struct {
	once        sync.Once
	core, prog  string
	skip, fatal string
}

// LiveCCore builds testdata/programs/<program>/main.c with gcc (-g -O1
// -pthread), runs it in a temporary directory with core dumps on, and
// returns the core it dumped and the binary. It skips when gcc is missing
// (or fails, under RequireTools) and when the kernel does not write cores
// named "core" into the working directory (core_pattern), which no install
// can change.
func LiveCCore(t testing.TB, program string) (core, prog string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no live core")
	}
	gcc, ok := OptionalTool(t, "gcc")
	if !ok {
		t.Skip("gcc is not installed: no live core")
	}
	v, _ := liveCores.LoadOrStore(program, &liveCore{})
	lc := v.(*liveCore)
	lc.once.Do(func() {
		if p, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || strings.TrimSpace(string(p)) != "core" {
			lc.skip = "core_pattern is " + strings.TrimSpace(string(p)) + ", not \"core\": no live core"
			return
		}
		dir, err := os.MkdirTemp("", "coreview-live-")
		if err != nil {
			lc.fatal = err.Error()
			return
		}
		registerCleanup(dir)
		lc.prog = filepath.Join(dir, "prog")
		src := filepath.Join(Root(), "testdata", "programs", program, "main.c")
		if out, err := exec.Command(gcc, "-g", "-O1", "-pthread", "-o", lc.prog, src).CombinedOutput(); err != nil {
			lc.fatal = "gcc: " + err.Error() + ": " + string(out)
			return
		}
		cmd := exec.Command("bash", "-c", `ulimit -c unlimited; exec ./prog`)
		cmd.Dir = dir
		cmd.Run() // it crashes: that is the point
		lc.core = filepath.Join(dir, "core")
		if _, err := os.Stat(lc.core); err != nil {
			lc.skip = program + " did not dump core (ulimit -c may be capped)"
		}
	})
	switch {
	case lc.fatal != "":
		t.Fatal(lc.fatal)
	case lc.skip != "":
		t.Skip(lc.skip)
	}
	return lc.core, lc.prog
}

var (
	liveMu   sync.Mutex
	liveDirs []string
)

func registerCleanup(dir string) {
	liveMu.Lock()
	defer liveMu.Unlock()
	liveDirs = append(liveDirs, dir)
}

// cleanupLive removes the live cores' directories (Cleanup calls it).
func cleanupLive() {
	liveMu.Lock()
	defer liveMu.Unlock()
	for _, d := range liveDirs {
		os.RemoveAll(d)
	}
	liveDirs = nil
}
