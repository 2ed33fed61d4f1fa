package corefile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/coreview/coreview/internal/testfixture"
)

// manyFiles is a core with n NT_FILE entries, one PT_LOAD (not dumped)
// each, naming paths of pathLen bytes; distinct paths repeat every
// distinct entries.
func manyFiles(n, distinct, pathLen int) []byte {
	paths := make([]string, distinct)
	for i := range paths {
		paths[i] = fmt.Sprintf("/%0*d", pathLen-1, i)
	}
	es := make([]testfixture.FileEntry, 0, n)
	loads := make([]testfixture.SynthLoad, 0, n)
	for i := range n {
		start := 0x10000000 + uint64(i)*0x1000
		es = append(es, testfixture.FileEntry{Start: start, End: start + 0x1000, Off: uint64(i) * 4096, Path: paths[i%distinct]})
		loads = append(loads, testfixture.SynthLoad{Vaddr: start, MemSize: 0x1000, Flags: 5})
	}
	return testfixture.SynthCore([]testfixture.SynthNote{
		{Name: "CORE", Type: NT_PRSTATUS, Desc: testfixture.PRStatus(1, 11, 0x10000010, 0)},
		{Name: "CORE", Type: NT_FILE, Desc: testfixture.FileNote(es)},
	}, loads)
}

// TestFileNotePathsShared: a path named by many entries is one string,
// shared by the entries and their mappings.
func TestFileNotePathsShared(t *testing.T) {
	img := manyFiles(1000, 3, 470)
	c, err := NewFile(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 1000 || len(c.Mappings) != 1000 {
		t.Fatalf("%d files, %d mappings", len(c.Files), len(c.Mappings))
	}
	backing := map[*byte]bool{}
	for i, f := range c.Files {
		backing[unsafe.StringData(f.Path)] = true
		if m := c.Mappings[i]; unsafe.StringData(m.File) != unsafe.StringData(f.Path) {
			t.Fatalf("mapping %d has its own copy of %s", i, f.Path[:10])
		}
	}
	if len(backing) != 3 {
		t.Errorf("%d path allocations for 3 distinct paths", len(backing))
	}
}

// TestFileNotePathBytesCapped: paths past maxFilePaths (64 MiB, four
// times the kernel's largest NT_FILE) are ignored, saying so.
func TestFileNotePathBytesCapped(t *testing.T) {
	const pathLen = 4000
	n := maxFilePaths/pathLen + 100
	img := manyFiles(n, n, pathLen)
	c, err := NewFile(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	want := maxFilePaths / (pathLen + 1)
	if len(c.Files) != want {
		t.Errorf("%d entries kept, want %d", len(c.Files), want)
	}
	if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, fmt.Sprintf("entries %d to %d are ignored", want, n-1)) {
		t.Errorf("warnings %q", c.Warnings)
	}
}

// TestMillionFileEntriesMemory: a core of 1,000,000 mappings whose NT_FILE
// names one 200-byte path for each (200 MB of paths; the had 470
// bytes, 14.7 GB with --format json before) opens within 1 GiB, measured
// in a child. The core file is written by the parent, so the generator is
// not measured.
func TestMillionFileEntriesMemory(t *testing.T) {
	if testfixture.InChild(t) {
		c, err := Open(os.Getenv("COREVIEW_TEST_CORE"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if len(c.Mappings) != 1_000_000 {
			t.Errorf("%d mappings", len(c.Mappings))
		}
		return
	}
	if testing.Short() {
		t.Skip("writes a 260 MB core")
	}
	path := filepath.Join(t.TempDir(), "core")
	if err := os.WriteFile(path, manyFiles(1_000_000, 1, 200), 0o644); err != nil {
		t.Fatal(err)
	}
	rss := testfixture.RunInChild(t, 4<<30, "COREVIEW_TEST_CORE="+path)
	t.Logf("peak RSS %d MiB", rss>>20)
	if rss > 1<<30 {
		t.Errorf("peak RSS %d MiB, budget 1024 MiB", rss>>20)
	}
}
