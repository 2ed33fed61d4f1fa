package analyze

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
)

// The README's promise: with default flags no input makes analyze exceed
// 2 GiB of RSS. These tests analyze the hostile cores that broke it, each
// in a child process that measures its own peak, written by the parent so
// that generating them is not measured.
const analyzeBudget = 2 << 30

// analyzeInChild analyzes the core at COREVIEW_TEST_CORE and writes the
// report in every format, discarding it.
func analyzeInChild(t *testing.T) {
	r, err := Analyze(os.Getenv("COREVIEW_TEST_CORE"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := render.Text(io.Discard, r, render.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d mappings, %d threads, %d warnings", len(r.Mappings), len(r.Threads), len(r.Warnings))
}

func measure(t *testing.T, img []byte, budget int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "core")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	rss := testfixture.RunInChild(t, 6<<30, "COREVIEW_TEST_CORE="+path)
	t.Logf("peak RSS %d MiB (budget %d MiB)", rss>>20, budget>>20)
	if rss > budget {
		t.Errorf("peak RSS %d MiB, budget %d MiB", rss>>20, budget>>20)
	}
}

// TestMillionMappingsMemory: 1,000,000 file mappings (PN_XNUM program
// headers, NT_FILE naming 1000 distinct libraries), analyzed and written
// as JSON; 14.7 GB before. Its budget is tighter than the promise: with
// the JSON built whole in memory (200 MB of it) it took 1024 MiB, streamed
// 509 MiB.
func TestMillionMappingsMemory(t *testing.T) {
	t.Parallel()
	if testfixture.InChild(t) {
		analyzeInChild(t)
		return
	}
	if testing.Short() {
		t.Skip("a 150 MB core")
	}
	const n = 1_000_000
	es := make([]testfixture.FileEntry, n)
	loads := make([]testfixture.SynthLoad, 0, n+1)
	var paths [1000]string
	for i := range paths {
		paths[i] = fmt.Sprintf("/usr/lib/x86_64-linux-gnu/%s%04d.so", strings.Repeat("l", 24), i)
	}
	for i := range es {
		start := 0x10000000 + uint64(i)*0x1000
		es[i] = testfixture.FileEntry{Start: start, End: start + 0x1000, Off: uint64(i/1000) * 4096, Path: paths[i%1000]}
		loads = append(loads, testfixture.SynthLoad{Vaddr: start, MemSize: 0x1000, Flags: 5})
	}
	loads = append(loads, testfixture.SynthLoad{Vaddr: 0x7ffc0000000, MemSize: 0x1000, Flags: 6, Data: make([]byte, 4096)})
	img := testfixture.SynthCore([]testfixture.SynthNote{
		{Name: "CORE", Type: corefile.NT_PRSTATUS, Desc: testfixture.PRStatus(1, 11, 0x10000010, 0x7ffc0000f00)},
		{Name: "CORE", Type: corefile.NT_FILE, Desc: testfixture.FileNote(es)},
	}, loads)
	measure(t, img, 768<<20)
}

// TestThreadsShareFrameChainMemory: eight threads whose frame pointers
// all lead into one chain of 2^21 frames (6+ GiB before: every walk kept
// the whole chain, twice). The crashed thread keeps 2^20 frames, the
// others share the rest of the frame budget, and a warning says so.
func TestThreadsShareFrameChainMemory(t *testing.T) {
	t.Parallel()
	if testfixture.InChild(t) {
		r, err := Analyze(os.Getenv("COREVIEW_TEST_CORE"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, th := range r.Threads {
			total += len(th.Frames)
		}
		if len(r.Threads) != 8 || len(r.Threads[0].Frames) != maxCrashedFrames || total > maxTotalFrames+8*minThreadFrames {
			t.Errorf("%d threads, %d frames in the crashed one, %d in all", len(r.Threads), len(r.Threads[0].Frames), total)
		}
		if !strings.Contains(strings.Join(r.Warnings, "\n"), "frames kept for all threads together") {
			t.Errorf("no warning about the frame budget: %q", r.Warnings)
		}
		if err := r.WriteJSON(io.Discard); err != nil {
			t.Fatal(err)
		}
		return
	}
	if testing.Short() {
		t.Skip("walks 2.6 million frames")
	}
	const (
		code  = 0x400000
		stack = 0x7f0000000000
		n     = 1 << 21
	)
	// The chain: frame k's saved rbp at stack+16k points to frame k+1,
	// its return address is in the r-x mapping; the last saved rbp is 0.
	data := make([]byte, 16*n+16)
	for k := range n {
		next := uint64(stack + 16*(k+1))
		if k == n-1 {
			next = 0
		}
		binary.LittleEndian.PutUint64(data[16*k:], next)
		binary.LittleEndian.PutUint64(data[16*k+8:], code+0x100)
	}
	var notes []testfixture.SynthNote
	for i := range 8 {
		pr := testfixture.PRStatus(100+i, 11, code+0x100, stack)
		binary.LittleEndian.PutUint64(pr[112+4*8:], stack) // rbp
		notes = append(notes, testfixture.SynthNote{Name: "CORE", Type: corefile.NT_PRSTATUS, Desc: pr})
	}
	// A call rel32 before the return address, as fpStep requires.
	text := make([]byte, 0x1000)
	copy(text[0xfb:], []byte{0xe8, 0, 0, 0, 0})
	img := testfixture.SynthCore(notes, []testfixture.SynthLoad{
		{Vaddr: code, MemSize: 0x1000, Flags: 5, Data: text},
		{Vaddr: stack, MemSize: uint64(len(data)+4095) &^ 4095, Flags: 6, Data: data},
	})
	measure(t, img, analyzeBudget)
}
