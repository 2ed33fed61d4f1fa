package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/coreview/coreview/internal/coreinput"
	"github.com/coreview/coreview/internal/safefile"
)

// stdinCore is the CORE argument that means standard input, as in
// `coredumpctl dump PID | coreview analyze -`.
const stdinCore = "-"

// spoolStdin copies standard input into a temporary file, so the core can
// be read at random like any other: a core is read by offset, never as a
// stream. Holes are kept (a core is mostly zeros), and at most maxSize
// bytes are taken (coreinput.DefaultMaxSize when 0), the cap a compressed
// core's decompression has, so a pipe that never ends cannot fill the
// disk. The caller removes the file when done.
func spoolStdin(in io.Reader, maxSize int64) (path string, err error) {
	if maxSize <= 0 {
		maxSize = coreinput.DefaultMaxSize
	}
	tmp, err := os.CreateTemp("", "coreview-stdin-*")
	if err != nil {
		return "", fmt.Errorf("standard input: %w", err)
	}
	defer func() {
		if cerr := tmp.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("standard input: %w", cerr)
		}
		if err != nil {
			os.Remove(tmp.Name())
			path = ""
		}
	}()
	n, err := safefile.CopySparse(tmp, in, maxSize+1)
	switch {
	case err != nil:
		return "", fmt.Errorf("standard input: %w", err)
	case n > maxSize:
		return "", fmt.Errorf("standard input: more than %d bytes, the --max-core-size cap", maxSize)
	case n == 0:
		return "", fmt.Errorf("standard input: empty, no core")
	}
	return tmp.Name(), nil
}

// coreArg turns the CORE argument into a path to analyze. "-" is standard
// input, spooled to a temporary file that done removes; a directory is a
// usage error that points at scan, the command that reads directories.
// name maps the path back to what the user typed, for messages.
func coreArg(arg string, in io.Reader, maxSize int64) (path string, done func(), err error) {
	if arg != stdinCore {
		if st, err := os.Stat(arg); err == nil && st.IsDir() {
			return "", nil, usagef("%s is a directory, not a core; to analyze every core in it: coreview scan %s", arg, arg)
		}
		return arg, func() {}, nil
	}
	path, err = spoolStdin(in, maxSize)
	if err != nil {
		return "", nil, err
	}
	return path, func() { os.Remove(path) }, nil
}

// stdinError names standard input, not the temporary file it was spooled
// to, in an error about the core; the error's type is kept for exitCode.
type stdinError struct {
	err  error
	path string
}

func (e *stdinError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.path, "standard input")
}
func (e *stdinError) Unwrap() error { return e.err }

// fromStdin wraps err as a stdinError when the core came from standard input.
func fromStdin(err error, arg, path string) error {
	if err == nil || arg != stdinCore {
		return err
	}
	return &stdinError{err, path}
}

// writeFileAtomic writes a file through a temporary one beside it, renamed
// over it when complete, so a reader (or a failed write) never sees half
// of it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
