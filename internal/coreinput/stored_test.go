package coreinput

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestMain removes the fixture cores the tests decompressed.
func TestMain(m *testing.M) {
	code := m.Run()
	testfixture.Cleanup()
	os.Exit(code)
}

// TestReadMetaFileReadsTheDescriptor: the extended attributes come from the
// file that was opened, not from whatever the name leads to afterwards.
func TestReadMetaFileReadsTheDescriptor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "core")
	other := filepath.Join(dir, "other")
	for p, exe := range map[string]string{path: "/usr/bin/first", other: "/usr/bin/swapped"} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Setxattr(p, "user.coredump.exe", []byte(exe), 0); err != nil {
			t.Skipf("no user xattrs here: %v", err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	if m := ReadMetaFile(f, path); m.Exe != "/usr/bin/first" {
		t.Errorf("exe %q, want the opened file's /usr/bin/first", m.Exe)
	}
	if m := ReadMeta(path); m.Exe != "/usr/bin/swapped" {
		t.Errorf("by name now: exe %q, want /usr/bin/swapped", m.Exe)
	}
}

// TestOpenStored: one open gives the core, its compression and the record
// systemd-coredump's file name holds, for a compressed and a raw core.
func TestOpenStored(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	dir := t.TempDir()
	zst := filepath.Join(dir, "core.prog.1000.0123456789abcdef0123456789abcdef.4242.1700000000000000.zst")
	testfixture.CopyFile(t, f.CoreZst, zst)
	for _, tt := range []struct {
		path, compression string
		pid               int
	}{
		{zst, "zstd", 4242},
		{f.RawCore(t), "", 0},
	} {
		st, err := OpenStored(context.Background(), tt.path, 0)
		if err != nil {
			t.Fatal(err)
		}
		if st.Compression != tt.compression || st.Meta.PID != tt.pid || st.Core == nil || len(st.Core.Threads) == 0 {
			t.Errorf("%s: compression %q, meta %+v", tt.path, st.Compression, st.Meta)
		}
		st.Core.Close()
	}
}
