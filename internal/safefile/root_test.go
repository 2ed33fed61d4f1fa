package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRootOpen: every lookup stays under the root as if it were /:
// absolute symlinks, ".." and a symlink climbing out all land inside, a
// FIFO and a directory are refused without blocking, a missing file is
// not found (not refused).
func TestRootOpen(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"lib", "etc", "usr/lib/debug/.build-id/ab"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "lib", "libc.so.6"), []byte("libc"), 0o644)
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("inside"), 0o644)
	outside := filepath.Join(t.TempDir(), "secret.debug")
	os.WriteFile(outside, []byte("outside"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(root, "lib", "abs.so"))
	os.Symlink("../../../../../../../../etc/passwd", filepath.Join(root, "lib", "up.so"))
	os.Symlink(outside, filepath.Join(root, "usr/lib/debug/.build-id/ab", "cdef.debug"))
	syscall.Mkfifo(filepath.Join(root, "lib", "fifo.so"), 0o600)
	r, err := OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tests := []struct {
		path, want string // want: the content, or "refused", or "missing"
	}{
		{"/lib/libc.so.6", "libc"},
		{"lib/libc.so.6", "libc"},
		{"/lib/abs.so", "inside"},
		{"/lib/up.so", "inside"},
		{"/../../etc/passwd", "inside"},
		{"/usr/lib/debug/.build-id/ab/cdef.debug", "missing"}, // its target is outside: resolved inside, absent
		{"/lib/fifo.so", "refused"},
		{"/lib", "refused"},
		{"/lib/none.so", "missing"},
	}
	for _, tc := range tests {
		f, err := r.Open(tc.path)
		var got string
		switch {
		case err == nil:
			b, _ := io.ReadAll(f)
			f.Close()
			got = string(b)
			if !strings.HasPrefix(f.Name(), root) {
				t.Errorf("Open(%q) named %s", tc.path, f.Name())
			}
		case errors.Is(err, ErrRefused):
			got = "refused"
		case errors.Is(err, os.ErrNotExist):
			got = "missing"
		default:
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("Open(%q) = %q (%v), want %q", tc.path, got, err, tc.want)
		}
	}
	// OpenIn confines paths under the root and only those.
	if f, err := OpenIn(r, filepath.Join(root, "lib", "abs.so")); err != nil {
		t.Errorf("OpenIn under the root: %v", err)
	} else {
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != "inside" {
			t.Errorf("OpenIn under the root read %q", b)
		}
	}
	if f, err := OpenIn(r, outside); err != nil {
		t.Errorf("OpenIn outside the root: %v", err)
	} else {
		f.Close()
	}
	// Without openat2: Within refuses the symlink out.
	if _, err := r.openChecked("/usr/lib/debug/.build-id/ab/cdef.debug", "x"); !errors.Is(err, ErrRefused) {
		t.Errorf("fallback: %v, want refused", err)
	}
}

// TestRootMagicLink: a path through /proc/self/root (a magic link: into
// whatever mount namespace the process is in) is refused even when the
// root is / and /proc is there.
func TestRootMagicLink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "lib.so")
	os.Symlink("/proc/self/root/etc/hostname", link)
	r, err := OpenRoot("/")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, p := range []string{"/proc/self/root/etc/hostname", link} {
		f, err := r.Open(p)
		if err == nil {
			f.Close()
			t.Errorf("Open(%s) through a magic link succeeded", p)
		} else if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "magic link") {
			t.Errorf("Open(%s) = %v, want a magic-link refusal", p, err)
		}
	}
}
