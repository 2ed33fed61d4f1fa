package scan

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestFindCoresMissesNothing: a symlinked top directory is followed, a
// symlink to a core is followed, a symlinked directory loop ends, and
// every file that looks like a core but cannot be read (a FIFO, a
// dangling or looping link, a compressed stream that does not decompress)
// is an error row, while a text file compressed is nothing.
func TestFindCoresMissesNothing(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	root := t.TempDir()
	dir := filepath.Join(root, "crashes")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	testfixture.CopyFile(t, f.CoreZst, filepath.Join(dir, "core.zst"))
	elsewhere := filepath.Join(root, "kept", "core.real")
	os.MkdirAll(filepath.Dir(elsewhere), 0o755)
	testfixture.CopyFile(t, f.CoreZst, elsewhere)
	os.Symlink(elsewhere, filepath.Join(dir, "sub", "linked.core"))
	os.Symlink(dir, filepath.Join(dir, "sub", "loop"))
	syscall.Mkfifo(filepath.Join(dir, "core.fifo"), 0o600)
	os.Symlink(filepath.Join(root, "gone"), filepath.Join(dir, "core.dangling"))
	os.Symlink("core.self", filepath.Join(dir, "core.self"))
	os.WriteFile(filepath.Join(dir, "core.9.zst"), []byte("\x28\xb5\x2f\xfd\xff\xff\xff garbage"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a core"), 0o644)
	os.WriteFile(filepath.Join(dir, "core.c"), []byte("int main() {}"), 0o644)
	var gz strings.Builder
	w, _ := newGzip(&gz)
	w.Write([]byte("a log, compressed"))
	w.Close()
	os.WriteFile(filepath.Join(dir, "log.gz"), []byte(gz.String()), 0o644)
	link := filepath.Join(root, "linkdir")
	os.Symlink(dir, link)

	paths, rows, err := findCores([]string{link}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(link, "core.zst"), filepath.Join(link, "sub", "linked.core")}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("cores %q, want %q", paths, want)
	}
	errs := map[string]string{}
	for _, r := range rows {
		errs[filepath.Base(r.Path)] = r.Error
	}
	for name, want := range map[string]string{
		"core.fifo":     "not a regular file but a named pipe",
		"core.dangling": "symbolic link not followed",
		"core.self":     "symbolic link not followed",
		"core.9.zst":    "starts like a zstd stream but does not decompress",
	} {
		if !strings.Contains(errs[name], want) {
			t.Errorf("%s: error %q, want %q", name, errs[name], want)
		}
	}
	if len(rows) != 4 {
		t.Errorf("error rows %v", errs)
	}
}

// TestRunCountsUnreadableCores: the error rows are part of the result, in
// path order, and counted as errors (scan exits 3 for them).
func TestRunCountsUnreadableCores(t *testing.T) {
	dir := t.TempDir()
	syscall.Mkfifo(filepath.Join(dir, "core"), 0o600)
	res, err := Run(Options{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Errors != 1 || !strings.Contains(res.Rows[0].Error, "named pipe") {
		t.Errorf("rows %+v, errors %d", res.Rows, res.Errors)
	}
}

// TestDirIndexedOnce: the cores of one directory share one build-id index.
func TestDirIndexedOnce(t *testing.T) {
	d := &dirIndex{dirs: map[string]*indexedDir{}}
	dir := t.TempDir()
	testfixture.CopyFile(t, filepath.Join(testfixture.Root(), "testdata", "cores", "c-null-call", "prog"), filepath.Join(dir, "prog"))
	a := d.get(dir)
	os.Remove(filepath.Join(dir, "prog"))
	b := d.get(dir)
	if len(a) != 1 || len(b) != 1 {
		t.Errorf("index %v then %v: indexed again", a, b)
	}
	opts := coreOptions(filepath.Join(dir, "core"), Options{index: d})
	if len(opts.SearchIndex[dir]) != 1 {
		t.Errorf("analysis options carry %v", opts.SearchIndex)
	}
	// A worker gets the index with its request, and its own options
	// keep it.
	req := workerRequest(filepath.Join(dir, "core"), Options{index: d, Isolate: &Isolation{}})
	if len(req.Core.SearchIndex[dir]) != 1 {
		t.Errorf("worker request carries %v", req.Core.SearchIndex)
	}
	if got := coreOptions(req.Path, Options{Core: req.Core}); len(got.SearchIndex[dir]) != 1 {
		t.Errorf("the worker's options carry %v", got.SearchIndex)
	}
}

func newGzip(w *strings.Builder) (interface {
	Write([]byte) (int, error)
	Close() error
}, error) {
	return gzip.NewWriter(w), nil
}

// BenchmarkFindCores finds the fixture cores (compressed, each sniffed by
// decompressing its start) among the fixtures' other files.
func BenchmarkFindCores(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		paths, _, err := findCores([]string{filepath.Join("..", "testdata", "cores")}, true)
		if err != nil || len(paths) < 20 {
			b.Fatalf("findCores: %d cores, %v", len(paths), err)
		}
	}
}
