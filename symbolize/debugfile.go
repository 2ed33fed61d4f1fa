package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/coreview/coreview/internal/diskcache"
	"github.com/coreview/coreview/internal/safefile"
)

// debugFile is a module's separate debug file: the DWARF and full symbol
// table that `objcopy --only-keep-debug` (or a distribution's -dbgsym /
// -dbg package) split off the shipped binary.
type debugFile struct {
	path string
	how  string // "build-id", "debuglink" or "debuginfod"
	elf  *elf.File
	file *os.File
	mmap *safefile.Mapped
}

func (d *debugFile) sectionBytes(s *elf.Section) []byte { return sectionData(d.mmap, s) }

func (d *debugFile) close() {
	if d.mmap != nil {
		d.mmap.Close()
	}
	if d.file != nil {
		d.file.Close()
	}
}

// sectionData returns a section's contents: straight from the mapped file
// when it is stored plain (valid until the file is closed), else inflated:
// SHF_COMPRESSED sections (zlib, zstd) and GNU .zdebug_* ones. nil if the
// section has no bytes, lies outside the file or does not inflate.
func sectionData(mm *safefile.Mapped, s *elf.Section) []byte {
	if s.Type == elf.SHT_NOBITS || s.Size > maxSectionSize {
		return nil
	}
	var stored []byte
	switch {
	case mm != nil:
		data := mm.Bytes()
		// For a compressed section, Size is the inflated size and
		// FileSize what the file stores.
		if s.Offset > uint64(len(data)) || s.FileSize > uint64(len(data))-s.Offset {
			return nil
		}
		stored = data[s.Offset : s.Offset+s.FileSize : s.Offset+s.FileSize]
	case s.Flags&elf.SHF_COMPRESSED != 0:
		b, err := s.Data() // debug/elf inflates these itself
		if err != nil || uint64(len(b)) > maxSectionSize {
			return nil
		}
		return b
	default:
		b, err := s.Data()
		if err != nil {
			return nil
		}
		stored = b
	}
	var b []byte
	var err error
	switch {
	case s.Flags&elf.SHF_COMPRESSED != 0:
		b, err = inflateSection(stored, binary.LittleEndian)
	case strings.HasPrefix(s.Name, ".zdebug_"):
		b, err = inflateGNU(stored)
	default:
		return stored
	}
	if err != nil {
		return nil
	}
	return b
}

// buildID returns the build-id the module's debug file must carry: the
// file's own, else the one the core recorded.
func (m *Module) buildID() string {
	if m.BuildID != "" {
		return m.BuildID
	}
	return m.CoreBuildID
}

// DebugFile returns the path of the module's separate debug file and how it
// was found ("build-id", "debuglink", "debuginfod"), or "" if it has none.
func (m *Module) DebugFile() (path, how string) {
	if d := m.debugFile(); d != nil {
		return d.path, d.how
	}
	return "", ""
}

// debugFile returns the separate debug file found on disk, or fetched.
func (m *Module) debugFile() *debugFile {
	if d := m.localDebug(); d != nil {
		return d
	}
	return m.remote
}

// localDebug looks for the module's debug file on disk, once.
func (m *Module) localDebug() *debugFile {
	m.localOnce.Do(func() {
		if m.finder != nil {
			m.local = m.finder.findLocal(m)
		}
	})
	return m.local
}

// debugFinder knows where separate debug files are.
type debugFinder struct {
	dirs       []string // like gdb's debug-file-directory: /usr/lib/debug
	debuginfod *Debuginfod
	// inflated is what the analysis's compressed DWARF may still take.
	inflated inflateBudget
	// cache keeps inflated DWARF between analyses (nil: none).
	cache *diskcache.Cache
	// saves are the cache entries being written: beside the rest of the
	// analysis, which does not need them; the table's Close waits.
	saves sync.WaitGroup
	// sysroot confines every path under it (module files, the default
	// debug directory SYSROOT/usr/lib/debug, debuglink files beside a
	// module) to root; rootErr is why it could not be opened.
	sysroot string
	root    *safefile.Root
	rootErr error
}

// open opens a module's or debug file's path: confined to the sysroot when
// it lies under it, refused when the sysroot could not be opened.
func (f *debugFinder) open(p string) (*os.File, error) {
	if f == nil {
		return safefile.Open(p)
	}
	if f.sysroot != "" && f.root == nil {
		if rel, err := filepath.Rel(f.sysroot, p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return nil, &safefile.RefusedError{Path: p, Reason: fmt.Sprintf("the sysroot cannot be opened: %v", f.rootErr)}
		}
	}
	return safefile.OpenIn(f.root, p)
}

// findLocal looks where gdb does (find_separate_debug_file_by_buildid, then
// by debuglink): DIR/.build-id/xx/rest.debug in each debug directory; then
// the .gnu_debuglink name beside the module's file, in its .debug
// subdirectory, and under each debug directory followed by the module's
// directory. A build-id file must carry the module's build-id; a debuglink
// file must match the link's CRC-32 (and the build-id, when both have one).
func (f *debugFinder) findLocal(m *Module) *debugFile {
	id := m.buildID()
	if validBuildID(id) {
		for _, dir := range f.dirs {
			p := filepath.Join(dir, ".build-id", id[:2], id[2:]+".debug")
			if d := m.tryDebug(p, "build-id", id, nil); d != nil {
				return d
			}
		}
	}
	if m.elf == nil || m.File == "" {
		return nil
	}
	name, crc, ok := debuglink(m.elf, m.sectionBytes)
	if !ok {
		return nil
	}
	// The link names a file, not a path: never let it climb out.
	if name != filepath.Base(name) || name == "." || name == ".." {
		m.debugWarnings = append(m.debugWarnings, fmt.Sprintf("module %s: .gnu_debuglink names %q, not a file name; ignored", m.Path, name))
		return nil
	}
	dir := filepath.Dir(m.File)
	cands := []string{filepath.Join(dir, name), filepath.Join(dir, ".debug", name)}
	if abs, err := filepath.Abs(dir); err == nil {
		for _, d := range f.dirs {
			cands = append(cands, filepath.Join(d, abs, name))
		}
	}
	for _, p := range cands {
		if p == m.File {
			continue
		}
		if d := m.tryDebug(p, "debuglink", id, &crc); d != nil {
			return d
		}
	}
	return nil
}

// tryDebug opens p as m's debug file if it is a regular ELF file with the
// right identity; otherwise it returns nil (a file that exists but does not
// match is a warning).
func (m *Module) tryDebug(p, how, id string, crc *uint32) *debugFile {
	fh, err := m.finder.open(p)
	if err != nil {
		if errors.Is(err, safefile.ErrRefused) {
			m.debugWarnings = append(m.debugWarnings, fmt.Sprintf("module %s: debug file %v", m.Path, err))
		}
		return nil
	}
	d := &debugFile{path: p, how: how, file: fh}
	var r io.ReaderAt = fh
	if mm, err := safefile.Map(fh); err == nil {
		d.mmap, r = mm, mm
	}
	ef, err := elf.NewFile(r)
	if err != nil {
		m.debugWarnings = append(m.debugWarnings, fmt.Sprintf("module %s: debug file %s is not ELF: %v", m.Path, p, err))
		d.close()
		return nil
	}
	d.elf = ef
	if got := debugBuildID(ef, d.sectionBytes); id != "" && got != "" && got != id {
		m.debugWarnings = append(m.debugWarnings, fmt.Sprintf("module %s: debug file %s has build-id %s, the module's is %s; ignored", m.Path, p, got, id))
		d.close()
		return nil
	} else if id != "" && got == "" && how != "debuglink" {
		d.close()
		return nil
	}
	if crc != nil {
		got, err := fileCRC(r)
		if err != nil || got != *crc {
			m.debugWarnings = append(m.debugWarnings, fmt.Sprintf("module %s: debug file %s does not match the module's .gnu_debuglink CRC (%#08x, the link says %#08x); ignored", m.Path, p, got, *crc))
			d.close()
			return nil
		}
	}
	return d
}

// debuglink reads .gnu_debuglink: a NUL-terminated file name, padding to a
// 4-byte boundary, and the CRC-32 of the debug file (binutils'
// bfd_create_gnu_debuglink_section).
func debuglink(f *elf.File, data func(*elf.Section) []byte) (name string, crc uint32, ok bool) {
	s := f.Section(".gnu_debuglink")
	if s == nil {
		return "", 0, false
	}
	b := data(s)
	i := bytes.IndexByte(b, 0)
	if i <= 0 {
		return "", 0, false
	}
	off := (i + 4) &^ 3
	if off+4 > len(b) {
		return "", 0, false
	}
	return string(b[:i]), f.ByteOrder.Uint32(b[off:]), true
}

// maxCRCFile caps the debug file size whose CRC is computed.
const maxCRCFile = 8 << 30

// fileCRC is the CRC-32 (IEEE, as zlib's crc32) of a whole file.
func fileCRC(r io.ReaderAt) (uint32, error) {
	if mm, ok := r.(*safefile.Mapped); ok {
		return crc32.ChecksumIEEE(mm.Bytes()), nil
	}
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, maxCRCFile)); err != nil {
		return 0, err
	}
	return h.Sum32(), nil
}

// debugBuildID reads the build-id of a debug file. Its note may sit in a
// section (objcopy keeps .note.gnu.build-id) or only in PT_NOTE.
func debugBuildID(f *elf.File, data func(*elf.Section) []byte) string {
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOTE {
			if id := noteBuildID(data(s)); id != "" {
				return id
			}
		}
	}
	return fileBuildID(f)
}

// validBuildID reports whether id is a hex build-id that can name a file
// (it comes from the core: it must not carry path separators or dots).
func validBuildID(id string) bool {
	if len(id) < 4 || len(id) > 128 || len(id)%2 != 0 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
