// Package safefile opens files named by untrusted input (a core's NT_FILE
// paths, extended attributes) without following them into FIFOs, devices,
// sockets or /proc.
package safefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Open opens name for reading only if it is a regular file on a real
// filesystem. The checks are made before the open (so a FIFO is never
// opened, and nothing under /proc or /sys is) and again on the opened
// descriptor (so a file swapped in between is caught): the mode must be a
// regular file's, and the filesystem must not be a pseudo one such as procfs
// or sysfs, whatever path or symlink led there. O_NONBLOCK keeps even that
// race from blocking.
func Open(name string) (*os.File, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &RefusedError{Path: name, Reason: "not a regular file but " + Describe(st.Mode())}
	}
	if err := checkPathFS(name); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, &RefusedError{Path: name, Reason: "not a regular file (it changed while being opened)"}
	}
	if err := checkFS(name, f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Within joins root and an absolute path from the core, and reports whether
// the result (after resolving symlinks, if it exists) stays inside root. A
// path that does not exist is inside: opening it will fail. One whose
// symlinks cannot be resolved for another reason (a /proc/PID/root link
// into a namespace we may not read) is not: where it leads is unknown.
// Root.Open confines lookups properly; this is its fallback and the check
// for paths a caller joins itself.
func Within(root, path string) (string, bool) {
	p := filepath.Join(root, filepath.Clean("/"+path))
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return p, errors.Is(err, fs.ErrNotExist)
	}
	rootReal, err := filepath.EvalSymlinks(root)
	if err != nil {
		return p, false
	}
	rel, err := filepath.Rel(rootReal, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return p, false
	}
	return real, true
}

// Describe names the kind of file a mode describes, for error messages.
func Describe(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file"
}

var errEOF = io.EOF
