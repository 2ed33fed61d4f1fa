package analyze

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// TestTruncatedCores analyzes every 5% prefix of real cores: each gives a
// report or a clear error, never a panic; a report of a cut core says which
// mappings were cut, and stacks that run into the missing bytes end with
// "unreadable memory" rather than vanishing.
func TestTruncatedCores(t *testing.T) {
	for _, name := range []string{"c-null-call", "rust-thread-overflow", "stacker-segment"} {
		f := testfixture.Get(t, name)
		raw, err := os.ReadFile(f.RawCore(t))
		if err != nil {
			t.Fatal(err)
		}
		for pct := 0; pct < 100; pct += 5 {
			cut := raw[:len(raw)*pct/100]
			c, err := corefile.NewFile(bytes.NewReader(cut), int64(len(cut)))
			if err != nil {
				if !strings.Contains(err.Error(), "offset") {
					t.Errorf("%s at %d%%: error without a location: %v", name, pct, err)
				}
				continue
			}
			s := NewSession(fmt.Sprintf("%s[:%d%%]", name, pct), c, options(f))
			r := s.Report()
			s.Close()
			if pct > 0 && !strings.Contains(strings.Join(r.Warnings, "\n"), "truncated") {
				t.Errorf("%s at %d%%: no truncation warning: %q", name, pct, r.Warnings)
			}
			for _, th := range r.Threads {
				if th.EndReason != "end of stack" && th.EndReason != "unreadable memory" && th.EndReason != "no unwind info" {
					t.Errorf("%s at %d%%: thread %d ended with %q", name, pct, th.TID, th.EndReason)
				}
			}
		}
	}
}

// TestNTFilePathIsAFIFO rewrites a real core's NT_FILE path of libc to a
// FIFO of the same length: the analysis must neither open it nor hang.
func TestNTFilePathIsAFIFO(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	raw, err := os.ReadFile(f.RawCore(t))
	if err != nil {
		t.Fatal(err)
	}
	const libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
	if !bytes.Contains(raw, []byte(libc+"\x00")) {
		t.Fatalf("the core does not name %s", libc)
	}
	dir, err := os.MkdirTemp("/tmp", "cv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	fifo := dir + "/" + strings.Repeat("f", len(libc)-len(dir)-1)
	if len(fifo) != len(libc) {
		t.Skipf("temporary directory path too long for a same-length FIFO: %s", dir)
	}
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	core := filepath.Join(dir, "core")
	os.WriteFile(core, bytes.ReplaceAll(raw, []byte(libc+"\x00"), []byte(fifo+"\x00")), 0o600)
	done := make(chan *Report, 1)
	go func() {
		r, err := Analyze(core, Options{Binary: f.Binary})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	select {
	case r := <-done:
		if r != nil && !strings.Contains(strings.Join(r.Warnings, "\n"), fifo) {
			t.Errorf("no warning names the FIFO: %q", r.Warnings)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the analysis hung on a FIFO named by NT_FILE")
	}
}
