package corefile_test

import (
	"os"
	"testing"

	"github.com/go-delve/delve/pkg/proc/core"
	"github.com/go-delve/delve/pkg/proc/linutil"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testfixture.Cleanup()
	os.Exit(code)
}

// TestThreadsAgreeWithDelve cross-checks the note parser against an
// independent one: delve's OpenCore must see the same thread ids, and every
// general register of every thread must agree.
func TestThreadsAgreeWithDelve(t *testing.T) {
	for _, f := range testfixture.All(t) {
		t.Run(f.Name, func(t *testing.T) {
			path := f.RawCore(t)
			c, err := corefile.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			tg, err := core.OpenCore(path, f.Binary, nil)
			if err != nil {
				t.Fatalf("delve: %v", err)
			}
			defer tg.Detach(false)
			ours := map[int]*corefile.Thread{}
			for _, th := range c.Threads {
				ours[th.TID] = th
			}
			theirs := tg.Selected.ThreadList()
			if len(theirs) != len(c.Threads) {
				t.Errorf("delve sees %d threads, corefile %d", len(theirs), len(c.Threads))
			}
			for _, dt := range theirs {
				th := ours[dt.ThreadID()]
				if th == nil {
					t.Errorf("thread %d: delve has it, corefile does not", dt.ThreadID())
					continue
				}
				regs, err := dt.Registers()
				if err != nil {
					t.Fatal(err)
				}
				a, ok := regs.(*linutil.AMD64Registers)
				if !ok {
					t.Fatalf("delve registers are %T", regs)
				}
				d := a.Regs
				want := corefile.Regs{R15: d.R15, R14: d.R14, R13: d.R13, R12: d.R12, Rbp: d.Rbp, Rbx: d.Rbx,
					R11: d.R11, R10: d.R10, R9: d.R9, R8: d.R8, Rax: d.Rax, Rcx: d.Rcx, Rdx: d.Rdx, Rsi: d.Rsi,
					Rdi: d.Rdi, OrigRax: d.Orig_rax, Rip: d.Rip, Cs: d.Cs, Eflags: d.Eflags, Rsp: d.Rsp, Ss: d.Ss,
					FsBase: d.Fs_base, GsBase: d.Gs_base, Ds: d.Ds, Es: d.Es, Fs: d.Fs, Gs: d.Gs}
				if th.Regs != want {
					t.Errorf("thread %d registers differ:\n corefile %+v\n delve    %+v", th.TID, th.Regs, want)
				}
			}
		})
	}
}
