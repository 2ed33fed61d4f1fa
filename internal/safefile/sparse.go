package safefile

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
)

// sparseBlock is the unit CopySparse checks for zeros: what a write brings
// is cut at the file's multiples of it, and each piece of zeros, whole
// block or not, is skipped.
const sparseBlock = 64 << 10

// CopySparse copies r to f, from f's offset 0, leaving blocks of zeros as
// holes instead of writing them, and stops after limit bytes (no limit if
// limit < 0): n == limit means r may hold more. Cores are mostly untouched
// stack and heap pages, which the kernel writes as holes; keeping them
// holes, the 473 MB core of the c-threads fixture (61 threads) takes 8 MB
// of disk, not 473.
//
// A reader that writes its output itself (io.WriterTo, as the zstd and
// lz4 decoders do; compress/gzip's does not) hands CopySparse its own
// buffers, which are then not copied again: of the 0.14 s the c-threads
// fixture took to decompress, a tenth was that copy. An error writing f is a *WriteError;
// any other error is r's (io.EOF is a clean end, not an error).
func CopySparse(f *os.File, r io.Reader, limit int64) (n int64, err error) {
	w := &sparseWriter{f: f, limit: limit}
	if wt, ok := r.(io.WriterTo); ok {
		_, err = wt.WriteTo(w)
	} else {
		_, err = io.CopyBuffer(w, onlyReader{r}, make([]byte, sparseBlock))
	}
	switch {
	case w.err != nil:
		return w.off, &WriteError{Err: w.err}
	case errors.Is(err, errLimit):
		err = nil
	case err != nil:
		return w.off, err
	}
	// A trailing hole needs the size set explicitly.
	if terr := f.Truncate(w.off); terr != nil {
		return w.off, &WriteError{Err: terr}
	}
	return w.off, nil
}

// WriteError is CopySparse's error writing the file.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

// errLimit is what sparseWriter.Write returns past the limit, for the
// reader to stop.
var errLimit = errors.New("safefile: copy limit reached")

// onlyReader hides everything but Read (io.CopyBuffer would call a
// WriterTo's WriteTo, or the writer's ReadFrom, and not use the buffer).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// sparseWriter writes to f at off whatever is not zero, a sparseBlock at
// a time, one pwrite for each run of pieces that are not.
type sparseWriter struct {
	f     *os.File
	off   int64
	limit int64
	err   error // the first error writing f
}

func (w *sparseWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	over := w.limit >= 0 && int64(len(p)) > w.limit-w.off
	if over {
		p = p[:w.limit-w.off]
	}
	given := len(p)
	run := 0 // p[:run] is data not yet written, to go at w.off
	for run < len(p) {
		// The piece up to the file's next block boundary.
		k := min(sparseBlock-int((w.off+int64(run))%sparseBlock), len(p)-run)
		if !allZero(p[run : run+k]) {
			run += k
			continue
		}
		if err := w.write(p[:run]); err != nil {
			return given - len(p), err
		}
		w.off += int64(k) // the zeros, left a hole
		p, run = p[run+k:], 0
	}
	if err := w.write(p[:run]); err != nil {
		return given - len(p), err
	}
	if over {
		return given, errLimit
	}
	return given, nil
}

// write writes b at w.off, which it moves past b.
func (w *sparseWriter) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := w.f.WriteAt(b, w.off); err != nil {
		w.err = err
		return err
	}
	w.off += int64(len(b))
	return nil
}

// allZero reports whether b holds only zero bytes. It ORs 32 bytes at a
// time as four words: a 500 MB core of mostly holes is scanned whole, and
// the byte at a time loop took a quarter of its decompression.
func allZero(b []byte) bool {
	for len(b) >= 32 {
		if binary.LittleEndian.Uint64(b)|binary.LittleEndian.Uint64(b[8:])|
			binary.LittleEndian.Uint64(b[16:])|binary.LittleEndian.Uint64(b[24:]) != 0 {
			return false
		}
		b = b[32:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
