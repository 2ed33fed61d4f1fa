package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/internal/testfixture"
)

type testSection struct {
	name  string
	flags elf.SectionFlag
	data  []byte
}

// elfWithSections builds an ET_DYN x86-64 ELF file holding only the
// given sections (and .shstrtab), no segments.
func elfWithSections(secs []testSection) []byte {
	le := binary.LittleEndian
	var shstr bytes.Buffer
	shstr.WriteByte(0)
	names := make([]uint32, len(secs)+1)
	for i, s := range secs {
		names[i] = uint32(shstr.Len())
		shstr.WriteString(s.name + "\x00")
	}
	names[len(secs)] = uint32(shstr.Len())
	shstr.WriteString(".shstrtab\x00")
	var body bytes.Buffer
	body.Write(make([]byte, 64))
	offs := make([]uint64, len(secs)+1)
	for i, s := range secs {
		for body.Len()%8 != 0 {
			body.WriteByte(0)
		}
		offs[i] = uint64(body.Len())
		body.Write(s.data)
	}
	offs[len(secs)] = uint64(body.Len())
	body.Write(shstr.Bytes())
	for body.Len()%8 != 0 {
		body.WriteByte(0)
	}
	shoff := body.Len()
	sh := func(name uint32, typ elf.SectionType, flags elf.SectionFlag, off, size uint64) {
		var h [64]byte
		le.PutUint32(h[0:], name)
		le.PutUint32(h[4:], uint32(typ))
		le.PutUint64(h[8:], uint64(flags))
		le.PutUint64(h[24:], off)
		le.PutUint64(h[32:], size)
		le.PutUint64(h[48:], 1)
		body.Write(h[:])
	}
	sh(0, elf.SHT_NULL, 0, 0, 0)
	for i, s := range secs {
		sh(names[i], elf.SHT_PROGBITS, s.flags, offs[i], uint64(len(s.data)))
	}
	sh(names[len(secs)], elf.SHT_STRTAB, 0, offs[len(secs)], uint64(shstr.Len()))
	b := body.Bytes()
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], uint16(elf.ET_DYN))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[40:], uint64(shoff))
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[58:], 64)
	le.PutUint16(b[60:], uint16(len(secs)+2))
	le.PutUint16(b[62:], uint16(len(secs)+1))
	return b
}

// zstdRLE is an SHF_COMPRESSED section's bytes: an Elf64_Chdr for zstd
// and a zstd frame (RFC 8878) of RLE blocks giving size zero bytes, four
// bytes per 128 KiB: 1000 MiB in 32 KB.
func zstdRLE(size uint64) []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	var ch [24]byte
	le.PutUint32(ch[0:], uint32(elf.COMPRESS_ZSTD))
	le.PutUint64(ch[8:], size)
	le.PutUint64(ch[16:], 1)
	b.Write(ch[:])
	b.Write([]byte{0x28, 0xb5, 0x2f, 0xfd, 0xe0}) // magic; FCS 8 bytes, single segment
	var fcs [8]byte
	le.PutUint64(fcs[:], size)
	b.Write(fcs[:])
	for left := size; left > 0; {
		n := min(left, 128<<10)
		left -= n
		h := uint32(1<<1) | uint32(n)<<3 // Block_Type RLE
		if left == 0 {
			h |= 1 // Last_Block
		}
		b.Write([]byte{byte(h), byte(h >> 8), byte(h >> 16), 0})
	}
	return b.Bytes()
}

// hostileDWARF: 16 SHF_COMPRESSED DWARF sections of 1000 MiB each, the
// names repeated, and GNU .zdebug ones claiming as much.
func hostileDWARF() []byte {
	var secs []testSection
	big := zstdRLE(1000 << 20)
	for i := range 16 {
		name := []string{".debug_info", ".debug_abbrev", ".debug_str", ".debug_line"}[i%4]
		secs = append(secs, testSection{name, elf.SHF_COMPRESSED, big})
	}
	zdebug := append([]byte("ZLIB\x00\x00\x00\x00\x3e\x80\x00\x00"), 0x78, 0x9c, 0x03, 0x00, 0, 0, 0, 1)
	secs = append(secs, testSection{".zdebug_info", 0, zdebug}, testSection{".zdebug_ranges", 0, zdebug})
	return elfWithSections(secs)
}

func openTestModule(t *testing.T, img []byte) *Module {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lib.so")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	return openModuleFile(t, path, &debugFinder{})
}

// openModuleFile opens the ELF file at path, mapped, as a module with
// finder; the test closes it.
func openModuleFile(t *testing.T, path string, finder *debugFinder) *Module {
	t.Helper()
	f, err := safefile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mm, err := safefile.Map(f)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(mm)
	if err != nil {
		t.Fatal(err)
	}
	m := &Module{Path: path, File: path, elf: ef, file: f, mmap: mm, finder: finder}
	t.Cleanup(m.Close)
	return m
}

// TestCompressedDWARFBomb: the sections' claims are refused before
// anything inflates, as a warning-worthy error, within a small RSS (16.4 GB
// before), measured in a child.
func TestCompressedDWARFBomb(t *testing.T) {
	img := hostileDWARF()
	if len(img) > 1<<20 {
		t.Fatalf("generator made %d bytes", len(img))
	}
	// The generator's frames are real: a small one inflates.
	if b, err := inflateSection(zstdRLE(3<<20+5), binary.LittleEndian); err != nil || len(b) != 3<<20+5 {
		t.Fatalf("zstdRLE does not inflate: %d bytes, %v", len(b), err)
	}
	if testfixture.InChild(t) {
		m := openTestModule(t, img)
		if m.HasDWARF() {
			t.Error("the DWARF bomb was read")
		}
		if m.dwarfErr == nil || !strings.Contains(m.dwarfErr.Error(), "more than 512 MiB inflated") {
			t.Errorf("error %v", m.dwarfErr)
		}
		return
	}
	rss := testfixture.RunInChild(t, 3<<30)
	t.Logf("peak RSS %d MiB", rss>>20)
	if rss > 200<<20 {
		t.Errorf("peak RSS %d MiB, budget 200 MiB", rss>>20)
	}
}

// TestDWARFSectionNamesOnce: a repeated section name is read once (six
// 100 MiB .debug_str would pass the module's cap together).
func TestDWARFSectionNamesOnce(t *testing.T) {
	secs := []testSection{{".debug_info", 0, []byte{1}}}
	for range 6 {
		secs = append(secs, testSection{".debug_str", elf.SHF_COMPRESSED, zstdRLE(100 << 20)})
	}
	ef, err := elf.NewFile(bytes.NewReader(elfWithSections(secs)))
	if err != nil {
		t.Fatal(err)
	}
	// loadDWARF reads the sections of one file in parallel.
	var mu sync.Mutex
	asked := map[string]int{}
	_, _, _, err = loadDWARF(ef, func(s *elf.Section) []byte {
		mu.Lock()
		asked[s.Name]++
		mu.Unlock()
		if s.Name == ".debug_str" {
			return []byte{0} // not inflated: the test counts reads
		}
		return []byte{1}
	}, nil)
	if asked[".debug_str"] != 1 {
		t.Errorf(".debug_str read %d times", asked[".debug_str"])
	}
	if err != nil && strings.Contains(err.Error(), "inflated") {
		t.Errorf("refused by the cap: %v", err)
	}
}

// TestInflateBudget: one analysis's modules share maxAnalysisInflate.
func TestInflateBudget(t *testing.T) {
	var b inflateBudget
	for i, want := range []bool{true, true, false, true} {
		n := int64(400 << 20)
		if i == 3 {
			n = 200 << 20
		}
		if err := b.reserve(n); (err == nil) != want {
			t.Errorf("reservation %d of %d MiB: %v", i, n>>20, err)
		}
	}
}
