package analyze

import (
	"debug/elf"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// TestStackerLimitMatchesGDB checks what coreview reads of stacker's
// STACK_LIMIT thread-local on the stacker fixtures against gdb, which
// finds the crashed thread's copy through libthread_db: the same address,
// and the limit is the word gdb shows there. On both fixtures stacker::grow
// had set it to the segment's low end.
func TestStackerLimitMatchesGDB(t *testing.T) {
	t.Parallel()
	gdb := testfixture.Tool(t, "gdb")
	for _, name := range []string{"stacker-segment", "stacker-merged"} {
		t.Run(name, func(t *testing.T) {
			f, r := analyzeFixture(t, name)
			so := r.Diagnosis[0].StackOverflow
			if so == nil || so.Stacker == nil {
				t.Fatalf("no stacker limit in %+v", r.Diagnosis[0])
			}
			ef, err := elf.Open(f.Binary)
			if err != nil {
				t.Fatal(err)
			}
			syms, _ := ef.Symbols()
			ef.Close()
			sym := ""
			for _, s := range syms {
				if elf.ST_TYPE(s.Info) == elf.STT_TLS && strings.Contains(s.Name, "7stacker11STACK_LIMIT") {
					sym = s.Name
				}
			}
			out, err := exec.Command(gdb, "-batch", "-nx", "-iex", "set debuginfod enabled off",
				"-ex", "set sysroot "+testfixture.Sysroot(), "-ex", "file "+f.Binary, "-ex", "core-file "+f.RawCore(t),
				"-ex", "x/3gx &'"+sym+"'").CombinedOutput()
			if err != nil {
				t.Fatalf("gdb: %v\n%s", err, out)
			}
			v := stackLimitWords(t, string(out))
			if uint64(so.Stacker.Address) != v[0] {
				t.Errorf("STACK_LIMIT at %#x, gdb says %#x", uint64(so.Stacker.Address), v[0])
			}
			if so.Stacker.State != "alive" || so.Stacker.Limit == nil || uint64(*so.Stacker.Limit) != v[2] || v[1] != 1 || v[3]&0xff != 1 {
				t.Errorf("stacker %+v; gdb's words %#x %#x %#x", so.Stacker, v[1], v[2], v[3])
			}
			if uint64(*so.Stacker.Limit) != uint64(so.Stack.Start) {
				t.Errorf("limit %#x, the segment starts at %#x", uint64(*so.Stacker.Limit), uint64(so.Stack.Start))
			}
		})
	}
}

// TestExplainStacker pins the sentence for each thing stacker can have
// believed.
func TestExplainStacker(t *testing.T) {
	seg := &report.StackOverflow{SP: 0x7000f90, Stack: report.StackExtent{Kind: report.StackSegment, Start: 0x7001000}}
	at := func(v uint64) *report.Addr { a := report.Addr(v); return &a }
	for _, tc := range []struct {
		sl   report.StackerLimit
		want string
	}{
		{report.StackerLimit{State: "alive"}, "stacker saw no stack limit for thread 7 (STACK_LIMIT None), so every stacker::maybe_grow allocated a new segment: it cannot tell how much stack is left."},
		{report.StackerLimit{State: "uninitialized"}, "stacker had not read thread 7's stack limit (its STACK_LIMIT thread-local is uninitialized): none of stacker's maybe_grow, grow or remaining_stack had run on this thread."},
		{report.StackerLimit{State: "alive", Limit: at(0x7001000)}, "stacker's limit for thread 7 (STACK_LIMIT) was 0x7001000, the lowest byte of the segment it overflowed: stacker sets it to a segment's low end when it switches onto it."},
		{report.StackerLimit{State: "alive", Limit: at(0x6ffdf90)}, "stacker's limit for thread 7 (STACK_LIMIT) was 0x6ffdf90, 12,288 bytes below the faulting stack pointer."},
	} {
		if got := tc.sl.Explain(seg, 7); got != tc.want {
			t.Errorf("Explain(%+v) = %q, want %q", tc.sl, got, tc.want)
		}
	}
}

// TestLiveRustcStackerLimit reads stacker's STACK_LIMIT on a live rustc
// lexer overflow, where stacker is linked into librustc_driver and its
// thread-local is reached through the compiler thread's DTV, and compares
// the address and words with gdb's (libthread_db's) reading.
func TestLiveRustcStackerLimit(t *testing.T) {
	t.Parallel()
	gdb := testfixture.Tool(t, "gdb")
	core, rustc := liveRustcCore(t, "input.rs", lexerOverflow)
	r := liveRustcReport(t, core, rustc)
	so := r.Diagnosis[0].StackOverflow
	if so == nil || so.Stacker == nil {
		t.Fatalf("no stacker limit: %+v", r.Diagnosis[0])
	}
	// gdb's selected thread is the one that dumped core; the run that
	// gives TestLiveRustcOverflow/lexer its frames prints the words too.
	_, out := rustcGDB(t, gdb, core, rustc)
	v := stackLimitWords(t, out)
	if uint64(so.Stacker.Address) != v[0] {
		t.Errorf("STACK_LIMIT at %#x, gdb says %#x", uint64(so.Stacker.Address), v[0])
	}
	// The words gdb shows decide the state in std's value-first layout.
	want := []string{"uninitialized", "alive", "destroyed"}[min(v[3]&0xff, 2)]
	if so.Stacker.State != want || (so.Stacker.Limit != nil) != (want == "alive" && v[1] == 1) {
		t.Errorf("stacker %+v; gdb's words %#x %#x %#x", so.Stacker, v[1], v[2], v[3])
	}
	t.Logf("%s %+v", r.Diagnosis[0].Explanation[len(r.Diagnosis[0].Explanation)-1], so.Stacker)
}

// stackLimitWords reads gdb's `x/3gx &'STACK_LIMIT'` output: the
// variable's address, its three words, and the first of the next line.
func stackLimitWords(t *testing.T, out string) [4]uint64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(0x[0-9a-f]+):\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s*\n0x[0-9a-f]+:\s+(0x[0-9a-f]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("gdb printed %s", out)
	}
	var v [4]uint64
	for i := range v {
		v[i], _ = strconv.ParseUint(m[i+1], 0, 64)
	}
	return v
}
