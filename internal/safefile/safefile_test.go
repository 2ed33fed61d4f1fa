package safefile

import (
	"errors"
	"net"
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

// TestOpenRefusesPseudoFilesystems: a core's paths are untrusted, and a
// symlink (or /etc/mtab -> /proc/self/mounts) reaches /proc and /sys under
// any name; the filesystem the open descriptor is on decides. A unix socket
// is refused for its mode.
func TestOpenRefusesPseudoFilesystems(t *testing.T) {
	dir := t.TempDir()
	var sysFile string
	for _, p := range []string{"/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/uevent_seqnum", "/sys/power/state", "/sys/devices/system/cpu/online"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			sysFile = p
			break
		}
	}
	targets := map[string]string{"environ": "/proc/self/environ", "mounts": "/proc/self/mounts", "maps": "/proc/self/maps"}
	if sysFile != "" {
		targets["sysfile"] = sysFile
	} else {
		t.Log("no readable regular file under /sys; sysfs case skipped")
	}
	for link, target := range targets {
		p := filepath.Join(dir, link+".so")
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		f, err := Open(p)
		if err == nil {
			f.Close()
			t.Errorf("Open(%s -> %s) succeeded", p, target)
			continue
		}
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "the kernel's live state") {
			t.Errorf("Open(%s -> %s) = %v, want a pseudo-filesystem refusal", p, target, err)
		}
	}
	// A symlink to a directory under /proc, then a path through it.
	os.Symlink("/proc/self", filepath.Join(dir, "self"))
	if f, err := Open(filepath.Join(dir, "self", "cmdline")); err == nil {
		f.Close()
		t.Error("Open(dir/self/cmdline) through a symlink to /proc/self succeeded")
	}
	// The descriptor check alone, as after a swap between stat and open.
	f, err := os.Open("/proc/self/environ")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := checkFS("/proc/self/environ", f); err == nil || !strings.Contains(err.Error(), "procfs") {
		t.Errorf("checkFS(/proc/self/environ) = %v, want procfs", err)
	}

	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Symlink(sock, filepath.Join(dir, "sock.so"))
	for _, p := range []string{sock, filepath.Join(dir, "sock.so")} {
		if f, err := Open(p); err == nil || !strings.Contains(err.Error(), "socket") {
			if f != nil {
				f.Close()
			}
			t.Errorf("Open(%s) = %v, want a socket refusal", p, err)
		}
	}
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
