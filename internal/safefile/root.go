package safefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrRefused is wrapped by every error that refuses a file for where it
// leads or what it is (outside the root, a /proc magic link, a FIFO, a
// pseudo filesystem), as against one that does not exist.
var ErrRefused = errors.New("refused")

// RefusedError says why the file at Path was not opened.
type RefusedError struct {
	Path   string
	Reason string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("%s refused: %s", e.Path, e.Reason) }

// Unwrap makes errors.Is(err, ErrRefused) hold.
func (e *RefusedError) Unwrap() error { return ErrRefused }

// Root is a directory tree that paths named by a core are confined to (a
// --sysroot): they are resolved as if the root were /, symlinks included,
// by openat2(2) with RESOLVE_IN_ROOT relative to the directory's
// descriptor, so an absolute symlink or ".." cannot leave it, and with
// RESOLVE_NO_MAGICLINKS, so a /proc/PID/root/... link into another mount
// namespace is refused. Where openat2 is missing (Linux before 5.6) the
// path is checked with Within and opened with Open.
type Root struct {
	dir string
	fd  *os.File
}

// OpenRoot opens the directory dir as a Root.
func OpenRoot(dir string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fd, err := os.OpenFile(abs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("sysroot: %w", err)
	}
	return &Root{dir: abs, fd: fd}, nil
}

// Dir returns the root's directory, absolute.
func (r *Root) Dir() string { return r.dir }

// Close releases the root's descriptor.
func (r *Root) Close() error { return r.fd.Close() }

// Rel returns p relative to the root when p lies lexically under its
// directory.
func (r *Root) Rel(p string) (string, bool) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(r.dir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

// OpenIn opens p inside r when p lies under r's directory, else with Open;
// r may be nil. Paths built from a sysroot (the core's module paths, the
// sysroot's debug directory) are so confined, wherever else the user
// pointed.
func OpenIn(r *Root, p string) (*os.File, error) {
	if r != nil {
		if rel, ok := r.Rel(p); ok {
			return r.Open(rel)
		}
	}
	return Open(p)
}

// resolveFlags confine a lookup to the root and refuse magic links.
const resolveFlags = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// Open opens name, a path inside the root (absolute as the process saw
// it, or relative to the root), for reading, if it is a regular file on a
// real filesystem. The file is first opened O_PATH, which opens nothing
// (a FIFO does not block, a device is not touched), and checked; then
// opened for reading by the same lookup and required to be the same inode.
func (r *Root) Open(name string) (*os.File, error) {
	rel := strings.TrimLeft(filepath.Clean("/"+name), "/")
	if rel == "" {
		rel = "."
	}
	shown := filepath.Join(r.dir, rel)
	pfd, err := openat2(int(r.fd.Fd()), rel, unix.O_PATH|unix.O_CLOEXEC)
	if errors.Is(err, unix.ENOSYS) {
		return r.openChecked(name, shown)
	}
	if err != nil {
		return nil, lookupError(shown, err)
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil {
		return nil, &os.PathError{Op: "fstat", Path: shown, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, &RefusedError{Path: shown, Reason: "not a regular file but " + Describe(fileMode(st.Mode))}
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(pfd, &sfs); err != nil {
		return nil, &os.PathError{Op: "statfs", Path: shown, Err: err}
	}
	if err := refuseFS(shown, sfs.Type); err != nil {
		return nil, err
	}
	fd, err := openat2(int(r.fd.Fd()), rel, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC)
	if err != nil {
		return nil, lookupError(shown, err)
	}
	var st2 unix.Stat_t
	if err := unix.Fstat(fd, &st2); err != nil || st2.Dev != st.Dev || st2.Ino != st.Ino {
		unix.Close(fd)
		return nil, &RefusedError{Path: shown, Reason: "it changed while being opened"}
	}
	return os.NewFile(uintptr(fd), shown), nil
}

// openat2 retries the EAGAIN the kernel returns when a rename raced the
// confined lookup.
func openat2(dirfd int, rel string, flags int) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags), Resolve: resolveFlags}
	for range 8 {
		fd, err := unix.Openat2(dirfd, rel, &how)
		if err != unix.EAGAIN && err != unix.EINTR {
			return fd, err
		}
	}
	return -1, unix.EAGAIN
}

// lookupError turns a confined lookup's failure into a refusal when it
// was one: ELOOP is a magic link (or a symlink loop), EXDEV a crossing the
// flags forbid.
func lookupError(shown string, err error) error {
	switch {
	case errors.Is(err, unix.ELOOP):
		return &RefusedError{Path: shown, Reason: "its path goes through a /proc magic link or a symlink loop"}
	case errors.Is(err, unix.EXDEV):
		return &RefusedError{Path: shown, Reason: "its path leaves the sysroot"}
	}
	return &os.PathError{Op: "open", Path: shown, Err: err}
}

// openChecked is Open where openat2 is missing: the path's symlinks are
// resolved by Within, which refuses a target outside the root.
func (r *Root) openChecked(name, shown string) (*os.File, error) {
	p, ok := Within(r.dir, name)
	if !ok {
		return nil, &RefusedError{Path: shown, Reason: "it resolves outside the sysroot"}
	}
	return Open(p)
}

// fileMode converts a stat(2) st_mode's type bits for Describe.
func fileMode(m uint32) os.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return os.ModeDir
	case unix.S_IFIFO:
		return os.ModeNamedPipe
	case unix.S_IFSOCK:
		return os.ModeSocket
	case unix.S_IFCHR:
		return os.ModeDevice | os.ModeCharDevice
	case unix.S_IFBLK:
		return os.ModeDevice
	case unix.S_IFLNK:
		return os.ModeSymlink
	}
	return 0
}
