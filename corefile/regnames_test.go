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

// gdbRegisters runs gdb's `info registers` on every thread of each
// fixture's raw core and returns each core's threads' registers by name,
// keyed by LWP, by fixture name. One gdb loads the cores one after the
// other (a `core-file` replaces the one before). gdb reads the registers
// from the core's notes (NT_PRSTATUS, NT_FPREGSET, NT_X86_XSTATE) and its
// register set from the core's XSAVE layout: the executable and the
// libraries would only add the symbol after each code address, which is
// not compared, and reading their symbols and debug info was nearly all
// of what gdb spent (0.3 s of CPU a core with them, 0.1 s without).
func gdbRegisters(t *testing.T, gdb string, fixtures []testfixture.Fixture) map[string]map[int]map[string]uint64 {
	t.Helper()
	const mark = "coreview-core "
	args := []string{"-batch", "-nx", "-iex", "set debuginfod enabled off"}
	for _, f := range fixtures {
		// Each -ex runs even when the one before failed: a core gdb
		// cannot load prints its error, and its fixture gets no threads.
		args = append(args, "-ex", "core-file "+f.RawCore(t),
			"-ex", `echo \n`+mark+f.Name+`\n`, "-ex", "thread apply all info registers")
	}
	out, err := exec.Command(gdb, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	thread := regexp.MustCompile(`^Thread \d+ \(.*LWP (\d+)\)`)
	reg := regexp.MustCompile(`^([a-z0-9_]+)\s+(0x[0-9a-f]+)\s`)
	all := map[string]map[int]map[string]uint64{}
	var res map[int]map[string]uint64
	var cur map[string]uint64
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(line, mark); ok {
			res, cur = map[int]map[string]uint64{}, nil
			all[name] = res
			continue
		}
		if m := thread.FindStringSubmatch(line); m != nil && res != nil {
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
	return all
}

// TestRegistersMatchGDB checks Regs.Named against gdb's `info registers`
// on every thread of every fixture: each register gdb prints (the flags as
// "eflags") must be in Named with gdb's value, and the general registers,
// rip and the flags must all be there.
func TestRegistersMatchGDB(t *testing.T) {
	gdb := testfixture.Tool(t, "gdb")
	fixtures := testfixture.All(t)
	gdbs := gdbRegisters(t, gdb, fixtures)
	for _, f := range fixtures {
		t.Run(f.Name, func(t *testing.T) {
			c, err := corefile.Open(f.RawCore(t))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			want, ok := gdbs[f.Name]
			if !ok {
				t.Fatal("gdb printed nothing for this core")
			}
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
