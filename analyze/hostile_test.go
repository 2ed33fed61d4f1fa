package analyze

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
	"github.com/coreview/coreview/report"
)

// TestTruncatedCores analyzes every 5% prefix of real cores: each gives a
// report or a clear error, never a panic. A report of a cut core names each
// cut mapping (the first ten), with the address and the core offset where
// its bytes stop, as the uncut core's program headers predict; the JSON
// mapping carries truncated_at; and a thread whose stack bytes at its stack
// pointer were cut off ends with "unreadable memory" rather than vanishing.
func TestTruncatedCores(t *testing.T) {
	t.Parallel()
	stacksCut := 0
	for _, name := range []string{"c-null-call", "rust-thread-overflow", "stacker-segment"} {
		f := testfixture.Get(t, name)
		raw, err := os.ReadFile(f.RawCore(t))
		if err != nil {
			t.Fatal(err)
		}
		whole, err := corefile.NewFile(bytes.NewReader(raw), int64(len(raw)))
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
			warnings := strings.Join(r.Warnings, "\n")
			if pct > 0 && !strings.Contains(warnings, "core file is truncated at") {
				t.Errorf("%s at %d%%: no truncation warning: %q", name, pct, r.Warnings)
			}
			// What the uncut core says was dumped where.
			var named int
			for i, m := range whole.Mappings {
				size := uint64(len(cut))
				if m.FileSize == 0 || uint64(m.Off)+m.FileSize <= size {
					if r.Mappings[i].TruncatedAt != nil {
						t.Errorf("%s at %d%%: mapping %#x-%#x marked cut at %#x", name, pct, m.Start, m.End, *r.Mappings[i].TruncatedAt)
					}
					continue
				}
				cutAt, want := m.Start, fmt.Sprintf("mapping %#x-%#x %s", m.Start, m.End, m.Perm)
				if uint64(m.Off) < size {
					cutAt += size - uint64(m.Off)
					want += fmt.Sprintf(" %s is cut at %#x: its bytes stop at core offset %#x", nameOr(m.File, "anonymous"), cutAt, size)
				} else {
					want += fmt.Sprintf(" %s lost all %d dumped bytes: they were at core offset %#x", nameOr(m.File, "anonymous"), m.FileSize, m.Off)
				}
				if got := r.Mappings[i].TruncatedAt; got == nil || uint64(*got) != cutAt {
					t.Errorf("%s at %d%%: mapping %#x-%#x truncated_at %v, want %#x", name, pct, m.Start, m.End, got, cutAt)
				}
				if js, _ := json.Marshal(r.Mappings[i]); !strings.Contains(string(js), fmt.Sprintf(`"truncated_at":"%#x"`, cutAt)) {
					t.Errorf("%s at %d%%: mapping JSON %s lacks truncated_at", name, pct, js)
				}
				if named++; named <= 10 && !strings.Contains(warnings, want) {
					t.Errorf("%s at %d%%: no warning says %q:\n%s", name, pct, want, warnings)
				}
			}
			var maps bytes.Buffer
			render.Maps(&maps, r)
			if named > 0 && !strings.Contains(maps.String(), "! = the core file is truncated") {
				t.Errorf("%s at %d%%: the maps table does not mark cut mappings:\n%s", name, pct, maps.String())
			}
			if named > 10 && !strings.Contains(warnings, fmt.Sprintf("and %d more cut mappings", named-10)) {
				t.Errorf("%s at %d%%: %d cut mappings, no count of the unnamed ones:\n%s", name, pct, named, warnings)
			}
			for i, th := range r.Threads {
				if th.EndReason != "end of stack" && th.EndReason != "unreadable memory" && th.EndReason != "no unwind info" {
					t.Errorf("%s at %d%%: thread %d ended with %q", name, pct, th.TID, th.EndReason)
				}
				sp := c.Threads[i].SP()
				if m := c.Mapping(sp); m != nil && m.Truncated && m.CutAt <= sp {
					stacksCut++
					if th.EndReason != "unreadable memory" || len(th.Frames) == 0 || !strings.Contains(th.EndDetail, "truncated") {
						t.Errorf("%s at %d%%: thread %d's stack at %#x is cut at %#x, but it ends with %q (%s) after %d frames",
							name, pct, th.TID, sp, m.CutAt, th.EndReason, th.EndDetail, len(th.Frames))
					}
				}
			}
		}
	}
	if stacksCut == 0 {
		t.Error("no prefix cut a thread's stack: the unreadable-memory check never ran")
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
	done := make(chan *report.Report, 1)
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
