package corefile_test

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// gdbRegisters runs gdb's `info registers` on every thread of a core and
// returns each thread's registers by name, keyed by LWP.
func gdbRegisters(t *testing.T, gdb, binary, core string) map[int]map[string]uint64 {
	t.Helper()
	out, err := exec.Command(gdb, "-batch", "-nx", "-iex", "set debuginfod enabled off",
		"-ex", "file "+binary, "-ex", "core-file "+core, "-ex", "thread apply all info registers").CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	thread := regexp.MustCompile(`^Thread \d+ \(.*LWP (\d+)\)`)
	reg := regexp.MustCompile(`^([a-z0-9_]+)\s+(0x[0-9a-f]+)\s`)
	res := map[int]map[string]uint64{}
	var cur map[string]uint64
	for _, line := range strings.Split(string(out), "\n") {
		if m := thread.FindStringSubmatch(line); m != nil {
			tid, _ := strconv.Atoi(m[1])
			cur = map[string]uint64{}
			res[tid] = cur
			continue
		}
		if m := reg.FindStringSubmatch(line); m != nil && cur != nil {
			v, _ := strconv.ParseUint(m[2], 0, 64)
			cur[m[1]] = v
		}
	}
	return res
}

// TestRegistersMatchGDB checks Regs.Named against gdb's `info registers`
// on every thread of every fixture: each register gdb prints (the flags as
// "eflags") must be in Named with gdb's value, and the general registers,
// rip and the flags must all be there.
func TestRegistersMatchGDB(t *testing.T) {
	gdb := testfixture.Tool(t, "gdb")
	for _, f := range testfixture.All(t) {
		t.Run(f.Name, func(t *testing.T) {
			path := f.RawCore(t)
			c, err := corefile.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			want := gdbRegisters(t, gdb, f.Binary, path)
			if len(want) != len(c.Threads) {
				t.Fatalf("gdb lists %d threads, the core %d", len(want), len(c.Threads))
			}
			for _, th := range c.Threads {
				ours := map[string]uint64{}
				for _, r := range th.Regs.Named() {
					ours[r.Name] = r.Value
				}
				theirs := want[th.TID]
				if len(theirs) < 18 {
					t.Fatalf("thread %d: gdb printed only %v", th.TID, theirs)
				}
				for name, v := range theirs {
					if name == "eflags" {
						name = "rflags"
					}
					if len(name) == 2 && name[0] == 'k' && name[1] >= '0' && name[1] <= '7' {
						continue // AVX-512 mask registers are not in NT_PRSTATUS
					}
					got, ok := ours[name]
					if !ok || got != v {
						t.Errorf("thread %d: %s = %#x (present %v), gdb says %#x", th.TID, name, got, ok, v)
					}
				}
			}
		})
	}
}
