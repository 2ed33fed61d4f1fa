// Package coreinput opens a core file as it is stored: raw ELF, or
// compressed with zstd, xz, gzip or lz4 as systemd-coredump and crash
// collectors store them. Compressed cores are decompressed, streaming and
// with a size cap, into an unlinked temporary file.
package coreinput

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/safefile"
)

// DefaultMaxSize caps the decompressed size of a core.
const DefaultMaxSize = 64 << 30

// ErrTooLarge is returned when a compressed core decompresses past the cap.
var ErrTooLarge = errors.New("decompressed core exceeds the size limit")

var magics = []struct {
	name  string
	magic []byte
}{
	{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{"gzip", []byte{0x1f, 0x8b}},
	{"lz4", []byte{0x04, 0x22, 0x4d, 0x18}},
}

// Compression names the format a file starting with head is stored in,
// or "" for none of the known ones.
func Compression(head []byte) string {
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.name
		}
	}
	return ""
}

// decompressor returns a reader of the decompressed stream.
func decompressor(kind string, r io.Reader) (io.Reader, func(), error) {
	switch kind {
	case "zstd":
		// RLE blocks, a core's runs of zeros, reach the decoder as
		// Raw ones (rleAsRaw): it copies those fast and fills the
		// others slowly.
		return idleZstd.get(newRLEAsRaw(r))
	case "xz":
		// One stream: checkXZ has walked the first one's blocks for
		// the dictionaries they need, and only that one.
		d, err := xz.ReaderConfig{SingleStream: true}.NewReader(r)
		return d, func() {}, err
	case "gzip":
		d, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return d, func() { d.Close() }, nil
	case "lz4":
		return lz4.NewReader(r), func() {}, nil
	}
	return nil, nil, fmt.Errorf("unknown compression %q", kind)
}

// idleZstd holds the zstd decoders decompressor is done with. A decoder
// allocates the history of the window its frames declare (zstd --long=29:
// 512 MiB) and keeps it, whatever the stream's size; a new decoder
// allocates it again, and Go zeroes memory it hands out again: a 16 KB
// core compressed with --long=29 took 0.35 s of system time and left 2 GiB
// resident when twelve were opened in one process (scan --in-process).
// Unlike sniffZstd, a sync.Pool, this list outlives a garbage collection,
// which an allocation that large starts.
//
// What it keeps is bounded: up to GOMAXPROCS decoders whose streams'
// windows were all at most maxPooledWindow (16 MiB), and one whose were
// larger; a decoder of a stream rleAsRaw could not follow to its end (it
// cannot tell what windows came after) is closed.
var idleZstd zstdList

type zstdList struct {
	mu    sync.Mutex
	small []*zstd.Decoder
	big   *zstd.Decoder
}

// get returns a decoder of z's stream and the function that gives it
// back.
func (l *zstdList) get(z *rleAsRaw) (io.Reader, func(), error) {
	l.mu.Lock()
	var d *zstd.Decoder
	if n := len(l.small); n > 0 {
		d, l.small = l.small[n-1], l.small[:n-1]
	} else if l.big != nil {
		d, l.big = l.big, nil
	}
	l.mu.Unlock()
	if d == nil {
		var err error
		if d, err = zstd.NewReader(nil, zstdOptions...); err != nil {
			return nil, nil, err
		}
	}
	if err := d.Reset(z); err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, func() { l.put(d, z.maxWindow, z.followed()) }, nil
}

// put keeps d for the next decompression, by the largest window its last
// stream declared, if it followed the stream's frames; else, or when the
// list is full or d cannot be reset, it closes d.
func (l *zstdList) put(d *zstd.Decoder, window uint64, followed bool) {
	if !followed || d.Reset(nil) != nil {
		d.Close()
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case window <= maxPooledWindow && len(l.small) < runtime.GOMAXPROCS(0):
		l.small = append(l.small, d)
	case window > maxPooledWindow && l.big == nil:
		l.big = d
	default:
		d.Close()
	}
}

// sniffZstd holds zstd decoders Sniff is done with. A decoder sizes its
// history for the frame's window when it reads the first block (8 MiB for
// the c-threads fixture), and clears it: 3.8 ms of a Sniff that reads 64
// bytes, and a collection every few cores, where a scan sniffs every file
// of its directories before it starts. A decoder that is reset keeps it.
var sniffZstd sync.Pool

// sniffDecompressor is decompressor for Sniff: the same decoders, zstd's
// from sniffZstd for a frame whose window (head's) is at most
// maxPooledWindow; done puts it back. A larger window's history is not
// kept past the Sniff: the first frame's is not pooled, a later frame's
// is refused by the pooled decoder (WithDecoderMaxWindow), and Sniff
// reads the file again with a new one.
func sniffDecompressor(kind string, head []byte, r io.Reader) (io.Reader, func(), error) {
	if w, ok := zstdWindow(head); kind != "zstd" || !ok || w > maxPooledWindow {
		return freshDecompressor(kind, head, r)
	}
	d, _ := sniffZstd.Get().(*zstd.Decoder)
	if d == nil {
		var err error
		// The window cap holds for every frame of the file, not only
		// the first, whose header head holds: a larger one is an error
		// (errPooledWindow), and the decoder never sizes its history
		// past it.
		opts := append(append([]zstd.DOption(nil), zstdOptions...), zstd.WithDecoderMaxWindow(maxPooledWindow))
		if d, err = zstd.NewReader(nil, opts...); err != nil {
			return nil, nil, err
		}
	}
	if err := d.Reset(newRLEAsRaw(r)); err != nil {
		d.Close()
		return nil, nil, err
	}
	return pooledDecoder{d}, func() {
		// Reset drops the stream (and the file's reader) but keeps the
		// buffers; a decoder a reset failed on is not reused.
		if d.Reset(nil) == nil {
			sniffZstd.Put(d)
		} else {
			d.Close()
		}
	}, nil
}

// pooledDecoder is a decoder from sniffZstd, as sniffDecompressor gives
// it: sniff tells it from a new one by its type.
type pooledDecoder struct{ *zstd.Decoder }

// maxPooledWindow is the largest zstd window whose decoder sniffZstd
// keeps: zstd's default for levels up to 19 is 8 MiB; --long makes 128
// MiB and more.
const maxPooledWindow = 16 << 20

// zstdOptions are the zstd decoder's: a window up to 1 GiB, decoded on
// the caller's goroutine.
var zstdOptions = []zstd.DOption{zstd.WithDecoderMaxMemory(1 << 30), zstd.WithDecoderConcurrency(1)}

// ErrUndecodable is wrapped by Sniff's error for a file that starts with
// a compression's magic but whose first bytes do not decompress.
var ErrUndecodable = errors.New("does not decompress")

// Sniff reports whether the file at path holds an ELF core, raw or
// compressed, by reading (and decompressing) only its first bytes, and
// which compression it uses. A compressed file whose start does not
// decompress is an error wrapping ErrUndecodable.
func Sniff(path string) (isCore bool, compression string, err error) {
	isCore, compression, err = sniff(path, sniffDecompressor)
	if errors.Is(err, errPooledWindow) {
		// A later frame's window is past what a pooled decoder takes:
		// a new decoder reads it, and is not kept.
		return sniff(path, freshDecompressor)
	}
	return isCore, compression, err
}

// freshDecompressor is decompressor as sniff takes it, with a new zstd
// decoder, closed when done, not one of idleZstd's: Sniff reads 64 bytes,
// and a window a later frame declares (up to 512 MiB) is not worth
// keeping for the next decompression.
func freshDecompressor(kind string, _ []byte, r io.Reader) (io.Reader, func(), error) {
	if kind != "zstd" {
		return decompressor(kind, r)
	}
	d, err := zstd.NewReader(newRLEAsRaw(r), zstdOptions...)
	if err != nil {
		return nil, nil, err
	}
	return d, d.Close, nil
}

// errPooledWindow is sniff's error when a pooled zstd decoder met a frame
// whose window is past maxPooledWindow (the first frame's was not: the 64
// bytes read may reach into later frames).
var errPooledWindow = errors.New("a zstd window past the pooled decoders'")

// sniff is Sniff with the decompressors dec gives (the test holds the
// pooled ones to fresh ones).
func sniff(path string, dec func(kind string, head []byte, r io.Reader) (io.Reader, func(), error)) (isCore bool, compression string, err error) {
	f, err := safefile.Open(path)
	if err != nil {
		return false, "", err
	}
	defer f.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	compression = Compression(head)
	if compression != "" {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return false, compression, err
		}
		var derr error
		if compression == "xz" {
			// Without the dictionary the stream declares (up to 4 GiB).
			head, derr = sniffXZ(f, 64)
		} else {
			var r io.Reader = bufio.NewReader(f)
			dhead := head
			if compression == "zstd" {
				if small, skip, ok := zstdSniffHeader(head); ok {
					// Only the first 64 bytes are decoded, whatever
					// window the frame declares: declared smaller, it
					// needs no decoder of its own.
					if _, err := f.Seek(int64(skip), io.SeekStart); err != nil {
						return false, compression, err
					}
					r, dhead = io.MultiReader(bytes.NewReader(small), bufio.NewReader(f)), small
				}
			}
			d, done, err := dec(compression, dhead, r)
			if err != nil {
				return false, compression, fmt.Errorf("%s %w: %v", compression, ErrUndecodable, windowHint(err))
			}
			defer done()
			head = make([]byte, 64)
			n, derr = io.ReadFull(d, head)
			head = head[:n]
			if _, pooled := d.(pooledDecoder); pooled && errors.Is(derr, zstd.ErrWindowSizeExceeded) {
				return false, compression, errPooledWindow
			}
		}
		if len(head) == 0 {
			if derr == nil {
				derr = io.ErrUnexpectedEOF
			}
			return false, compression, fmt.Errorf("%s %w: %v", compression, ErrUndecodable, windowHint(derr))
		}
	}
	return isELFCore(head), compression, nil
}

func isELFCore(h []byte) bool {
	return len(h) >= 20 && string(h[:4]) == "\x7fELF" && h[16] == 4 && h[17] == 0
}

// Open opens the core at path, decompressing it if needed. maxSize caps the
// decompressed size (DefaultMaxSize if 0).
func Open(path string, maxSize int64) (*corefile.File, error) {
	return OpenContext(context.Background(), path, maxSize)
}

// OpenContext is Open that gives up decompressing when ctx is done: a scan
// that timed out on a core must not go on writing gigabytes of it.
func OpenContext(ctx context.Context, path string, maxSize int64) (*corefile.File, error) {
	st, err := OpenStored(ctx, path, maxSize)
	if err != nil {
		return nil, err
	}
	return st.Core, nil
}

// Stored is a core as it was stored: the core itself, the compression it
// was stored with ("" for a raw core), and what systemd-coredump recorded
// in its file name and extended attributes.
type Stored struct {
	Core        *corefile.File
	Compression string
	Meta        Meta
}

// OpenStored opens the file at path once and reads everything from that
// one descriptor: its compression, its extended attributes (fgetxattr) and
// the core, decompressed if needed (OpenContext). A second open by name
// could find another file swapped in between.
func OpenStored(ctx context.Context, path string, maxSize int64) (*Stored, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	f, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	meta := ReadMetaFile(f, path)
	head := make([]byte, 8)
	n, _ := f.ReadAt(head, 0)
	kind := Compression(head[:n])
	c, err := openCore(ctx, f, path, kind, maxSize)
	if err != nil {
		return nil, err
	}
	return &Stored{Core: c, Compression: kind, Meta: meta}, nil
}

// openCore reads the core from f, which it takes over: as it is, or
// decompressed (kind) into an unlinked temporary file.
func openCore(ctx context.Context, f *os.File, path, kind string, maxSize int64) (*corefile.File, error) {
	if kind != "" {
		defer f.Close()
		var r io.Reader = f
		if kind == "xz" {
			patches, err := checkXZ(io.NewSectionReader(f, 0, 1<<62), maxXZDict)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			r = &patchReader{r: f, patches: patches}
		}
		tmp, n, cut, err := decompress(ctx, kind, r, maxSize)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if cut != nil && n == 0 {
			tmp.Close()
			return nil, fmt.Errorf("%s: %w", path, cut)
		}
		c, err := corefile.OpenFile(tmp)
		if err != nil {
			if cut != nil {
				return nil, fmt.Errorf("%s: %w; the %d bytes decompressed before it: %v", path, cut, n, err)
			}
			return nil, fmt.Errorf("%s (decompressed %s): %w", path, kind, err)
		}
		if cut != nil {
			// What came out is analysed like a raw core cut at that
			// size; corefile has named the mappings the cut lost.
			c.Warnings = append([]string{fmt.Sprintf("%v; analysing the %d bytes decompressed before it as a cut core", cut, n)}, c.Warnings...)
		}
		return c, nil
	}
	c, err := corefile.OpenFile(f)
	if err != nil {
		var fe *corefile.FormatError
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return c, nil
}

// StreamError says that a compressed stream ended early, after
// Decompressed bytes came out.
type StreamError struct {
	Kind         string
	Decompressed int64
	Err          error
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("the %s stream is truncated (%v) after %d decompressed bytes", e.Kind, e.Err, e.Decompressed)
}

func (e *StreamError) Unwrap() error { return e.Err }

// decompress writes the decompressed stream to an unlinked temporary file
// and returns it with its size. A stream that ends early is not an error
// here: the bytes before the end are returned with cut saying so, as a
// cut raw core would be read. A stream that does not decode, or whose
// checksum does not match, is an error.
func decompress(ctx context.Context, kind string, r io.Reader, maxSize int64) (tmp *os.File, n int64, cut *StreamError, err error) {
	d, done, err := decompressor(kind, bufio.NewReaderSize(ctxReader{ctx, r}, 1<<20))
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, nil, &StreamError{Kind: kind, Err: err}
		}
		return nil, 0, nil, streamErr(kind, err)
	}
	defer done()
	tmp, err = os.CreateTemp("", "coreview-core-*")
	if err != nil {
		return nil, 0, nil, err
	}
	os.Remove(tmp.Name()) // unlinked: gone when closed, whatever happens
	n, err = safefile.CopySparse(tmp, d, maxSize+1)
	var we *safefile.WriteError
	switch {
	case errors.As(err, &we):
		tmp.Close()
		return nil, n, nil, fmt.Errorf("writing the decompressed core: %w", err)
	case n > maxSize:
		tmp.Close()
		return nil, n, nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, maxSize)
	case err == nil:
		return tmp, n, nil, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		tmp.Close()
		return nil, n, nil, cerr
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		// A stream that does not decode is not read on: the bytes
		// before the bad block are not known to be right either.
		tmp.Close()
		return nil, n, nil, streamErr(kind, err)
	}
	return tmp, n, &StreamError{Kind: kind, Decompressed: n, Err: err}, nil
}

// ctxReader reads r until ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// NewWriter returns a writer that compresses into w in the named format
// (zstd, xz, gzip, lz4): the formats Open reads. Tests use it to store
// fixture cores the way crash collectors do.
func NewWriter(kind string, w io.Writer) (io.WriteCloser, error) {
	switch kind {
	case "zstd":
		return zstd.NewWriter(w)
	case "xz":
		return xz.NewWriter(w)
	case "gzip":
		return gzip.NewWriter(w), nil
	case "lz4":
		return lz4.NewWriter(w), nil
	}
	return nil, fmt.Errorf("unknown compression %q", kind)
}

// streamErr names the compression in a decompressor's error, once: the
// gzip and lz4 decoders' errors already start with it.
func streamErr(kind string, err error) error {
	err = windowHint(err)
	if strings.HasPrefix(err.Error(), kind+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", kind, err)
}

// windowHint says what to do about a zstd frame whose window is past what
// the decoders here take (zstd.MaxWindowSize, 512 MiB), as zstd's own
// tool refuses one past 128 MiB without --long or --memory.
func windowHint(err error) error {
	if !errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return err
	}
	return fmt.Errorf("%w: a frame declares a window past %d MiB, as zstd --long=30 or more writes; decompress it with zstd -d --long=31 and analyse the result", err, zstd.MaxWindowSize>>20)
}
