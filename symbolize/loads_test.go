package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestSplitLoads: the mappings of one file divided into its loads, for the
// PIE of TestLayoutMismatch (readelf -lW there) loaded at 0x5000_0000.
func TestSplitLoads(t *testing.T) {
	progs := []elf.ProgHeader{
		{Type: elf.PT_LOAD, Off: 0, Vaddr: 0, Filesz: 0x5b8, Memsz: 0x5b8, Flags: elf.PF_R},
		{Type: elf.PT_LOAD, Off: 0x1000, Vaddr: 0x1000, Filesz: 0x15d, Memsz: 0x15d, Flags: elf.PF_R | elf.PF_X},
		{Type: elf.PT_LOAD, Off: 0x2000, Vaddr: 0x2000, Filesz: 0xf0, Memsz: 0xf0, Flags: elf.PF_R},
		{Type: elf.PT_LOAD, Off: 0x2e00, Vaddr: 0x3e00, Filesz: 0x210, Memsz: 0x218, Flags: elf.PF_R | elf.PF_W},
	}
	r, x, rw := elf.PF_R, elf.PF_R|elf.PF_X, elf.PF_R|elf.PF_W
	image := func(base uint64) []Region {
		reg := func(start, end, off uint64, perm elf.ProgFlag) Region {
			return Region{Start: base + start, End: base + end, Off: off, Perm: perm}
		}
		return []Region{reg(0, 0x1000, 0, r), reg(0x1000, 0x2000, 0x1000, x), reg(0x2000, 0x3000, 0x2000, r),
			reg(0x3000, 0x4000, 0x2000, r), reg(0x4000, 0x5000, 0x3000, rw)}
	}
	const base, base2 = 0x50000000, 0x60000000
	// The program read its own file with mmap(NULL, size, PROT_READ,
	// MAP_PRIVATE, fd, 0): one read-only mapping of the whole file.
	wholeFile := Region{Start: 0x7f0000000000, End: 0x7f0000004000, Off: 0, Perm: r}
	// The same, placed by mmap right after the image.
	adjacent := Region{Start: base + 0x5000, End: base + 0x9000, Off: 0, Perm: r}
	// A JIT (or a reader) mapped only the text pages, executable.
	textOnly := Region{Start: 0x7f0000010000, End: 0x7f0000011000, Off: 0x1000, Perm: x}
	cat := func(parts ...[]Region) []Region {
		var out []Region
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		rs   []Region
		want [][2]uint64 // span of each load
	}{
		{"one load", image(base), [][2]uint64{{base, base + 0x5000}}},
		{"a whole-file mmap below the image is data", cat([]Region{wholeFile}, image(base)), [][2]uint64{{base, base + 0x5000}}},
		{"a whole-file mmap right after the image is data", cat(image(base), []Region{adjacent}), [][2]uint64{{base, base + 0x5000}}},
		{"an executable mapping of the text alone is data", cat(image(base), []Region{textOnly}), [][2]uint64{{base, base + 0x5000}}},
		{"loaded twice (dlmopen)", cat(image(base), image(base2)), [][2]uint64{{base, base + 0x5000}, {base2, base2 + 0x5000}}},
		// No bias covers every segment: the mappings that fit one are
		// taken (the whole-file mmap fits none).
		{"no load covers its segments", []Region{wholeFile, textOnly}, [][2]uint64{{textOnly.Start, textOnly.End}}},
		{"no load fits", []Region{wholeFile}, nil},
		// gdb's gcore leaves read-only text out of the core: the rest
		// still fits one bias, and the mmap stays out.
		{"the text mapping lost", cat([]Region{wholeFile}, image(base)[:1], image(base)[2:]), [][2]uint64{{base, base + 0x5000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loads := splitLoads(progs, tt.rs, 4096)
			var got [][2]uint64
			for _, ld := range loads {
				s, e := regionSpan(ld)
				got = append(got, [2]uint64{s, e})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("loads %#x, want %#x", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("load %d spans %#x, want %#x", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestSplitLoadsHole: a library whose data segment is linked 64 KiB past
// its rodata (LOAD 0x0 r, 0x1000 r-x, 0x2e00 at 0x12e00 rw): ld.so reserves
// the whole span with one mapping of the file and leaves the gap PROT_NONE,
// which belongs to the load.
func TestSplitLoadsHole(t *testing.T) {
	progs := []elf.ProgHeader{
		{Type: elf.PT_LOAD, Off: 0, Vaddr: 0, Filesz: 0x5b8, Memsz: 0x5b8, Flags: elf.PF_R},
		{Type: elf.PT_LOAD, Off: 0x1000, Vaddr: 0x1000, Filesz: 0x15d, Memsz: 0x15d, Flags: elf.PF_R | elf.PF_X},
		{Type: elf.PT_LOAD, Off: 0x2e00, Vaddr: 0x12e00, Filesz: 0x210, Memsz: 0x218, Flags: elf.PF_R | elf.PF_W},
	}
	const base = 0x50000000
	rs := []Region{
		{Start: base, End: base + 0x1000, Off: 0, Perm: elf.PF_R},
		{Start: base + 0x1000, End: base + 0x2000, Off: 0x1000, Perm: elf.PF_R | elf.PF_X},
		{Start: base + 0x2000, End: base + 0x12000, Off: 0x2000, Perm: 0},
		{Start: base + 0x12000, End: base + 0x14000, Off: 0x2000, Perm: elf.PF_R | elf.PF_W},
	}
	loads := splitLoads(progs, rs, 4096)
	if len(loads) != 1 || len(loads[0]) != 4 {
		t.Fatalf("loads %+v, want the four mappings as one load", loads)
	}
}

// TestSplitByOffsets: without the file's program headers, mappings whose
// offsets restart begin another load, and loads with no executable mapping
// are data. The mappings are libc.so.6's as ld.so maps them (readelf: LOAD
// 0x0 r, 0x26000 r-x, 0x17b000 r, 0x1ce000 rw), plus a whole-file mmap.
func TestSplitByOffsets(t *testing.T) {
	r, x, rw := elf.PF_R, elf.PF_R|elf.PF_X, elf.PF_R|elf.PF_W
	libc := []Region{
		{Start: 0x7f0000026000, End: 0x7f000017b000, Off: 0x26000, Perm: x},
		{Start: 0x7f0000000000, End: 0x7f0000026000, Off: 0, Perm: r},
		{Start: 0x7f000017b000, End: 0x7f00001cf000, Off: 0x17b000, Perm: r},
		{Start: 0x7f00001cf000, End: 0x7f00001d3000, Off: 0x1ce000, Perm: r},
		{Start: 0x7f00001d3000, End: 0x7f00001d5000, Off: 0x1d2000, Perm: rw},
	}
	mmapped := Region{Start: 0x7f1000000000, End: 0x7f10001d5000, Off: 0, Perm: r}
	got := splitByOffsets(append(libc, mmapped))
	if len(got) != 1 || len(got[0]) != len(libc) || got[0][0].Start != 0x7f0000000000 {
		t.Errorf("libc with a whole-file mmap: %+v, want libc's five mappings as one load", got)
	}
	// gcore's core of it: no text mapping. The rest is one load (RELRO
	// and rodata share an offset), kept although not executable.
	noText := []Region{libc[1], libc[2], libc[3], libc[4]}
	if got := splitByOffsets(noText); len(got) != 1 || len(got[0]) != 4 {
		t.Errorf("libc without its text: %+v, want one load", got)
	}
	// No executable mapping at all: every load is kept.
	data := []Region{libc[1], mmapped}
	if got := splitByOffsets(data); len(got) != 2 {
		t.Errorf("no executable mapping: %d loads, want both", len(got))
	}
}

// headerMemory is the part of a core that holds an ELF header page: n
// bytes of hdr at base.
type headerMemory struct {
	base uint64
	hdr  []byte
}

func (m headerMemory) ReadAt(p []byte, addr uint64) (int, error) {
	if addr < m.base || addr-m.base+uint64(len(p)) > uint64(len(m.hdr)) {
		return 0, errors.New("not in the core")
	}
	return copy(p, m.hdr[addr-m.base:]), nil
}

// TestCheckIdentity: a file compared with a core that has no build-id, for
// c-no-buildid's prog (ET_EXEC, 13 program headers at offset 64, LOADs
// r at 0x400000, r-x at 0x401000, r at 0x402000, rw at 0x403e38). ok only
// when the check was made: the ELF header and program headers both
// compared, or, without the header page, the layout of the mappings.
func TestCheckIdentity(t *testing.T) {
	path := filepath.Join(testfixture.Root(), "testdata", "cores", "c-no-buildid", "prog")
	disk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(disk))
	if err != nil {
		t.Fatal(err)
	}
	r, x, rw := elf.PF_R, elf.PF_R|elf.PF_X, elf.PF_R|elf.PF_W
	rs := []Region{
		{Start: 0x400000, End: 0x401000, Off: 0, Perm: r},
		{Start: 0x401000, End: 0x402000, Off: 0x1000, Perm: x},
		{Start: 0x402000, End: 0x403000, Off: 0x2000, Perm: r},
		{Start: 0x403000, End: 0x404000, Off: 0x2000, Perm: r},
		{Start: 0x404000, End: 0x405000, Off: 0x3000, Perm: rw},
	}
	// manyPhdrs is the file with e_phnum raised past what is compared.
	manyPhdrs := append([]byte(nil), disk...)
	binary.LittleEndian.PutUint16(manyPhdrs[56:], 2000)
	otherHeader := append([]byte(nil), disk[:4096]...)
	otherHeader[24] ^= 1 // e_entry
	tests := []struct {
		name     string
		file     []byte
		mem      Memory // nil: no header page in the core
		rs       []Region
		want     Status
		whyParts string
	}{
		{"header and program headers dumped and equal", disk, headerMemory{0x400000, disk[:4096]}, rs, StatusOK, ""},
		{"ELF header differs", disk, headerMemory{0x400000, otherHeader}, rs, StatusMismatch, "ELF header differs"},
		{"program headers not in the core (the page holding them unreadable)", disk, headerMemory{0x400000, disk[:64]}, rs, StatusUnchecked, "does not hold its program headers"},
		{"more program headers than compared", manyPhdrs, headerMemory{0x400000, manyPhdrs[:4096]}, rs, StatusUnchecked, "more than the 1024 compared"},
		{"program headers not in the core, layout wrong", disk, headerMemory{0x400000, disk[:64]}, rs[1:], StatusMismatch, "not mapped whole"},
		{"no header page: the layout is checked", disk, nil, rs, StatusOK, ""},
		{"no header page and no mapping to compare", disk, nil, []Region{{Start: 0x400000, End: 0x405000, Perm: 0}}, StatusUnchecked, "no mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{PageSize: 4096, Dumped: tt.mem}
			got := checkIdentity("", "", ef, bytes.NewReader(tt.file), tt.rs, opts, 0x400000, true)
			if got.status != tt.want || !strings.Contains(got.why, tt.whyParts) {
				t.Errorf("checkIdentity = %s (%s), want %s (…%s…)", got.status, got.why, tt.want, tt.whyParts)
			}
			if got.status != StatusOK && got.why == "" {
				t.Errorf("%s without a reason", got.status)
			}
		})
	}
}
