package testfixture

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestLiveCores makes each kind of live core the analyze tests use and
// checks that it is an ELF core of the right process: a `cat` blocked in
// read() killed with SIGABRT from another process, and a gcore of it
// still running.
func TestLiveCores(t *testing.T) {
	dir := t.TempDir()
	p := Start(t, dir, nil, "cat")
	p.WaitBlocked(t, "cat")
	g := p.Gcore(t)
	sender := p.Kill(t, syscall.SIGABRT)
	core := p.Core(t)
	for _, c := range []string{g, core} {
		b, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 64 || string(b[:4]) != "\x7fELF" || b[16] != 4 {
			t.Errorf("%s is not an ELF core", c)
		}
		if !strings.HasPrefix(c, dir) {
			t.Errorf("core %s outside the test's directory %s", c, dir)
		}
	}
	if sender <= 0 || sender == p.Pid() {
		t.Errorf("sender pid %d", sender)
	}
}
