package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOpenRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Open(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("Open(fifo) = %v, want a named-pipe error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open(fifo) blocked")
	}
	for _, p := range []string{dir, "/dev/null", "/proc/self/maps"} {
		if f, err := Open(p); err == nil {
			f.Close()
			t.Errorf("Open(%s) succeeded", p)
		}
	}
	reg := filepath.Join(dir, "file")
	os.WriteFile(reg, []byte("x"), 0o600)
	f, err := Open(reg)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestWithin(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "lib"), 0o755)
	os.WriteFile(filepath.Join(root, "lib", "libc.so.6"), nil, 0o644)
	os.Symlink("/etc/passwd", filepath.Join(root, "lib", "escape.so"))
	tests := []struct {
		path string
		ok   bool
	}{
		{"/lib/libc.so.6", true},
		{"/lib/missing.so", true},
		{"/../../etc/passwd", true}, // cleaned to /etc/passwd under root
		{"/lib/escape.so", false},   // a symlink out of the root
	}
	for _, tt := range tests {
		p, ok := Within(root, tt.path)
		if ok != tt.ok || !strings.HasPrefix(p, root) && ok {
			t.Errorf("Within(%q) = %q, %v; want ok %v", tt.path, p, ok, tt.ok)
		}
	}
}
