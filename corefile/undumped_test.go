package corefile

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// elfImage returns the first page of an ET_DYN file whose PT_LOADs are
// loads (p_offset, p_vaddr, p_filesz = p_memsz, p_flags), as gcore dumps it.
func elfImage(loads [][4]uint64) []byte {
	le := binary.LittleEndian
	b := make([]byte, 4096)
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = elfClass64, elfData2LSB, 1
	le.PutUint16(b[16:], 3) // ET_DYN
	le.PutUint16(b[18:], emX86_64)
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], ehdrSize)
	le.PutUint16(b[52:], ehdrSize)
	le.PutUint16(b[54:], phdrSize)
	le.PutUint16(b[56:], uint16(len(loads)))
	for i, l := range loads {
		p := b[ehdrSize+i*phdrSize:]
		le.PutUint32(p[0:], ptLoad)
		le.PutUint32(p[4:], uint32(l[3]))
		le.PutUint64(p[8:], l[0])
		le.PutUint64(p[16:], l[1])
		le.PutUint64(p[32:], l[2])
		le.PutUint64(p[40:], l[2])
		le.PutUint64(p[48:], 4096)
	}
	return b
}

// TestUndumpedMappings is a core as gdb's gcore writes it: NT_FILE lists
// every file mapping, the program headers only the ones gdb dumped (the
// module's ELF header page, its written data). The text, rodata and the
// PROT_NONE hole between segments must still be mappings, with the
// permissions of the segment the module's headers say maps them, and the
// text's bytes must come from the file.
func TestUndumpedMappings(t *testing.T) {
	const base = 0x555500000000
	// readelf -lW: LOAD 0x0000 0x0000 r--; LOAD 0x1000 0x1000 r-x (0x2000);
	// LOAD 0x3000 0x4000 rw- (0x1000): the link-time page 0x3000 is a hole.
	loads := [][4]uint64{{0, 0, 0x1000, 4}, {0x1000, 0x1000, 0x2000, 5}, {0x3000, 0x4000, 0x1000, 6}}
	hdr := elfImage(loads)
	data := bytes.Repeat([]byte{0xdd}, 4096)
	const lib = 0x7f0000000000 // a library whose header page is not in the core
	img := synthCore([]synthNote{
		{"CORE", NT_PRSTATUS, prstatus(100, base+0x1010, 0)},
		{"CORE", NT_FILE, fileNote([]FileEntry{
			{Start: base, End: base + 0x1000, Off: 0, Path: "/bin/prog"},
			{Start: base + 0x1000, End: base + 0x3000, Off: 0x1000, Path: "/bin/prog"},
			{Start: base + 0x3000, End: base + 0x4000, Off: 0x3000, Path: "/bin/prog"},
			{Start: base + 0x4000, End: base + 0x5000, Off: 0x3000, Path: "/bin/prog"},
			{Start: lib + 0x1000, End: lib + 0x3000, Off: 0x1000, Path: "/lib/libx.so"},
		})},
	}, []synthLoad{
		{vaddr: base, memsz: 0x1000, flags: 4, data: hdr},
		{vaddr: base + 0x4000, memsz: 0x1000, flags: 6, data: data},
	})
	c, err := NewFile(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		start    uint64
		perm     string
		undumped bool
		known    bool
	}{
		{base, "r--", false, false},
		{base + 0x1000, "r-x", true, true},
		{base + 0x3000, "---", true, true},
		{base + 0x4000, "rw-", false, false},
		{lib + 0x1000, "r--", true, false},
	}
	if len(c.Mappings) != len(want) {
		t.Fatalf("%d mappings, want %d: %+v", len(c.Mappings), len(want), c.Mappings)
	}
	for i, w := range want {
		m := c.Mappings[i]
		if m.Start != w.start || m.Perm.String() != w.perm || m.Undumped != w.undumped || m.Undumped && m.PermKnown != w.known {
			t.Errorf("mapping %d: %#x %s undumped=%v known=%v, want %#x %s %v %v", i, m.Start, m.Perm, m.Undumped, m.PermKnown, w.start, w.perm, w.undumped, w.known)
		}
	}
	if m := c.Mapping(base + 0x2fff); m == nil || m.File != "/bin/prog" || m.FileOff != 0x1000 {
		t.Errorf("mapping of the text: %+v", m)
	}

	file := append(append([]byte{}, hdr...), make([]byte, 0x4000)...)
	file[0x1010] = 0xc3
	mem := c.Memory(func(path string) (io.ReaderAt, int64, error) {
		return bytes.NewReader(file), int64(len(file)), nil
	})
	if !mem.Executable(base+0x1010) || mem.Executable(base+0x3000) || mem.Executable(base+0x4000) {
		t.Errorf("Executable: text %v, hole %v, data %v; want true, false, false",
			mem.Executable(base+0x1010), mem.Executable(base+0x3000), mem.Executable(base+0x4000))
	}
	var b [1]byte
	if _, err := mem.ReadAt(b[:], base+0x1010); err != nil || b[0] != 0xc3 {
		t.Errorf("text byte %#x, %v; want 0xc3 from the file", b[0], err)
	}
	if _, err := mem.ReadAt(b[:], base+0x3000); err == nil {
		t.Errorf("the PROT_NONE hole read without error")
	}
	// The library's permissions are not in the core: its file says r-x.
	if !mem.Executable(lib + 0x1000) {
		t.Errorf("library text not executable by its file's program headers")
	}
	if c.Memory(nil).Executable(lib + 0x1000) {
		t.Errorf("library text executable with no file to ask")
	}
}

// TestUndumpedOverlapBounded: NT_FILE entries that each span every PT_LOAD
// (a hostile core) add each gap once, in time linear in the PT_LOADs, not
// once per entry.
func TestUndumpedOverlapBounded(t *testing.T) {
	var loads []synthLoad
	for i := uint64(0); i < 2048; i++ {
		loads = append(loads, synthLoad{vaddr: 0x10000000 + i*0x2000, memsz: 0x1000, flags: 4})
	}
	var entries []FileEntry
	for i := 0; i < 4096; i++ {
		entries = append(entries, FileEntry{Start: 0x10000000, End: 0x20000000, Path: "/x"})
	}
	img := synthCore([]synthNote{{"CORE", NT_FILE, fileNote(entries)}}, loads)
	c, err := NewFile(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	// 2048 PT_LOADs, the 2047 gaps between them and the tail after
	// the last.
	if len(c.Mappings) != 2048+2048 {
		t.Errorf("%d mappings, want %d", len(c.Mappings), 4096)
	}
	for i := 1; i < len(c.Mappings); i++ {
		if c.Mappings[i].Start < c.Mappings[i-1].End {
			t.Fatalf("mappings %d and %d overlap", i-1, i)
		}
	}
}
