package corefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// synthCore builds a small ET_CORE image with testfixture.SynthCore: an
// ELF header, one PT_NOTE with the given notes, and PT_LOADs of the given
// mappings whose bytes follow.
type synthLoad struct {
	vaddr, memsz uint64
	flags        uint32
	data         []byte
}

type synthNote struct {
	name string
	typ  uint32
	desc []byte
}

func synthCore(notes []synthNote, loads []synthLoad) []byte {
	ns := make([]testfixture.SynthNote, len(notes))
	for i, n := range notes {
		ns[i] = testfixture.SynthNote{Name: n.name, Type: n.typ, Desc: n.desc}
	}
	ls := make([]testfixture.SynthLoad, len(loads))
	for i, l := range loads {
		ls[i] = testfixture.SynthLoad{Vaddr: l.vaddr, MemSize: l.memsz, Flags: l.flags, Data: l.data}
	}
	return testfixture.SynthCore(ns, ls)
}

// prstatus is an NT_PRSTATUS of thread tid killed by SIGSEGV.
func prstatus(tid int, rip, rsp uint64) []byte {
	return testfixture.PRStatus(tid, 11, rip, rsp)
}

func fileNote(entries []FileEntry) []byte {
	fs := make([]testfixture.FileEntry, len(entries))
	for i, e := range entries {
		fs[i] = testfixture.FileEntry{Start: e.Start, End: e.End, Off: e.Off, Path: e.Path}
	}
	return testfixture.FileNote(fs)
}

func TestSyntheticCore(t *testing.T) {
	stack := bytes.Repeat([]byte{0xab}, 4096)
	img := synthCore([]synthNote{
		{"CORE", NT_PRSTATUS, prstatus(100, 0x401000, 0x7ffc0000f00)},
		{"CORE", NT_FILE, fileNote([]FileEntry{{Start: 0x400000, End: 0x402000, Off: 0, Path: "/bin/prog"}})},
		{"CORE", NT_PRSTATUS, prstatus(101, 0x401010, 0x7ffc0000e00)},
	}, []synthLoad{
		{vaddr: 0x400000, memsz: 0x2000, flags: 5},                   // r-x, not dumped
		{vaddr: 0x7ffbffff000, memsz: 0x1000, flags: 0},              // PROT_NONE guard
		{vaddr: 0x7ffc0000000, memsz: 0x1000, flags: 6, data: stack}, // rw- stack
	})
	c, err := NewFile(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Threads) != 2 || c.Threads[0].TID != 100 || c.Threads[1].TID != 101 {
		t.Fatalf("threads = %+v", c.Threads)
	}
	if c.CrashedThread().TID != 100 || c.Threads[0].PC() != 0x401000 || c.Threads[1].SP() != 0x7ffc0000e00 {
		t.Errorf("crashed thread or registers wrong: %+v", c.Threads[0].Regs)
	}
	if len(c.Mappings) != 3 || c.Mappings[0].File != "/bin/prog" || c.Mappings[1].Perm != 0 || c.Mappings[1].Perm.String() != "---" {
		t.Fatalf("mappings = %+v", c.Mappings)
	}
	mem := c.Memory(nil)
	var b [8]byte
	if _, err := mem.ReadAt(b[:], 0x7ffc0000ff8); err != nil || b[0] != 0xab {
		t.Errorf("stack read: %v %x", err, b)
	}
	// Each unreadable place says why.
	for _, tc := range []struct {
		addr uint64
		want Reason
	}{
		{0x400100, FileMissing},
		{0x7ffbffff800, ProtNone},
		{0x500000, NotMapped},
	} {
		_, err := mem.ReadAt(b[:], tc.addr)
		var me *MemoryError
		if !errors.As(err, &me) || me.Reason != tc.want {
			t.Errorf("read %#x: err = %v, want reason %v", tc.addr, err, tc.want)
		}
	}
	// A read running off the end of the stack mapping into nothing.
	n, err := mem.ReadAt(make([]byte, 16), 0x7ffc0000ff8)
	var me *MemoryError
	if n != 8 || !errors.As(err, &me) || me.Reason != NotMapped || me.Addr != 0x7ffc0001000 {
		t.Errorf("cross-boundary read: n=%d err=%v", n, err)
	}
}

func TestMalformedCores(t *testing.T) {
	good := synthCore([]synthNote{{"CORE", NT_PRSTATUS, prstatus(1, 0, 0)}}, nil)
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	le := binary.LittleEndian
	tests := []struct {
		name     string
		data     []byte
		sentinel error
		msg      string
	}{
		{"empty", nil, ErrNotCore, "empty file"},
		{"garbage", []byte("this is not a core file at all, just some text that is long enough to fill a header"), ErrNotCore, "bad magic"},
		{"truncated header", good[:20], ErrNotCore, "truncated"},
		{"32-bit", mutate(func(b []byte) []byte { b[4] = 1; return b }), ErrUnsupported, "64-bit"},
		{"big-endian", mutate(func(b []byte) []byte { b[5] = 2; return b }), ErrUnsupported, "little-endian"},
		{"executable", mutate(func(b []byte) []byte { le.PutUint16(b[16:], 2); return b }), ErrNotCore, "ET_EXEC"},
		{"aarch64", mutate(func(b []byte) []byte { le.PutUint16(b[18:], 183); return b }), ErrUnsupported, "x86_64"},
		{"too many phdrs", mutate(func(b []byte) []byte { le.PutUint16(b[56:], 0xfff0); return b }), nil, "do not fit"},
		{"phoff past end", mutate(func(b []byte) []byte { le.PutUint64(b[32:], 1<<40); return b }), nil, "do not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFile(bytes.NewReader(tt.data), int64(len(tt.data)))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a *FormatError", err, err)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q, want it to mention %q", err, tt.msg)
			}
		})
	}
}

// noteDescOffs returns where synthCore puts each note's header and
// descriptor, for a core with nloads PT_LOADs.
func noteDescOffs(notes []synthNote, nloads int) (hdrs, descs []int64) {
	off := int64(ehdrSize + phdrSize*(1+nloads))
	for _, n := range notes {
		hdrs = append(hdrs, off)
		d := off + 12 + int64(align4(uint64(len(n.name)+1)))
		descs = append(descs, d)
		off = d + int64(align4(uint64(len(n.desc))))
	}
	return hdrs, descs
}

// TestCorruptStructures damages one structure of a small core at a time:
// each is skipped with a *FormatError among problems (and Warnings) that
// says what broke and at which offset of the file, and reading goes on.
func TestCorruptStructures(t *testing.T) {
	le := binary.LittleEndian
	const phdr1 = ehdrSize + phdrSize // the first PT_LOAD's header; the PT_NOTE's is at ehdrSize
	threadNote := []synthNote{{"CORE", NT_PRSTATUS, prstatus(1, 0, 0)}}
	_, descs := noteDescOffs(threadNote, 0)
	fileNoteCore := func(b []byte, nloads int) ([]byte, int64) {
		notes := append(threadNote[:1:1], synthNote{"CORE", NT_FILE, b})
		_, d := noteDescOffs(notes, nloads)
		return synthCore(notes, nil), d[1]
	}
	twoFiles := fileNote([]FileEntry{{Start: 0x1000, End: 0x2000, Path: "/a"}, {Start: 0x2000, End: 0x3000, Path: "/b"}})
	manyThreads := make([]synthNote, maxThreads+3)
	for i := range manyThreads {
		manyThreads[i] = synthNote{"CORE", NT_PRSTATUS, prstatus(i+1, 0, 0)}
	}
	_, manyDescs := noteDescOffs(manyThreads, 0)

	type tcase struct {
		name  string
		img   []byte
		off   int64
		msg   string
		check func(t *testing.T, c *File)
	}
	tests := []tcase{
		{name: "PT_LOAD wraps around the address space",
			img: synthCore(threadNote, []synthLoad{{vaddr: ^uint64(0) - 0xfff, memsz: 0x2000, flags: 6}}),
			off: phdr1, msg: "PT_LOAD 1: segment 0xfffffffffffff000+0x2000 wraps around the address space; skipped",
			check: func(t *testing.T, c *File) {
				if len(c.Mappings) != 0 {
					t.Errorf("mappings %+v", c.Mappings)
				}
			}},
		{name: "PT_LOADs overlap",
			img: synthCore(threadNote, []synthLoad{{vaddr: 0x10000, memsz: 0x2000, flags: 6}, {vaddr: 0x11000, memsz: 0x2000, flags: 4}}),
			off: phdr1 + phdrSize, msg: "PT_LOAD segments 0x10000-0x12000 and 0x11000-0x13000 overlap; the later one is cut",
			check: func(t *testing.T, c *File) {
				if len(c.Mappings) != 2 || c.Mappings[1].Start != 0x12000 {
					t.Errorf("mappings %+v", c.Mappings)
				}
			}},
		{name: "PT_LOAD inside another",
			img: synthCore(threadNote, []synthLoad{{vaddr: 0x10000, memsz: 0x4000, flags: 6}, {vaddr: 0x11000, memsz: 0x1000, flags: 4}}),
			off: phdr1 + phdrSize, msg: "overlap; the later one is cut",
			check: func(t *testing.T, c *File) {
				if len(c.Mappings) != 1 {
					t.Errorf("mappings %+v", c.Mappings)
				}
			}},
		{name: "note size past the segment",
			img: func() []byte {
				img := synthCore(threadNote, nil)
				le.PutUint32(img[ehdrSize+phdrSize+4:], 1<<30)
				return img
			}(),
			off: ehdrSize + phdrSize, msg: "descriptor size 1073741824 run past the PT_NOTE segment",
			check: func(t *testing.T, c *File) {
				if len(c.Threads) != 0 {
					t.Errorf("%d threads", len(c.Threads))
				}
			}},
		{name: "PT_NOTE beyond the file",
			img: func() []byte {
				img := synthCore(threadNote, nil)
				le.PutUint64(img[ehdrSize+8:], 1<<40)
				return img
			}(),
			off: 1 << 40, msg: "PT_NOTE lies beyond the end"},
		{name: "PT_NOTE longer than the file",
			img: func() []byte {
				img := synthCore(threadNote, nil)
				le.PutUint64(img[ehdrSize+32:], 1<<20)
				return img
			}(),
			off: ehdrSize + phdrSize, msg: "PT_NOTE is truncated",
			check: func(t *testing.T, c *File) {
				if len(c.Threads) != 1 {
					t.Errorf("%d threads: the notes that are there should be read", len(c.Threads))
				}
			}},
		{name: "short NT_PRSTATUS",
			img: synthCore([]synthNote{{"CORE", NT_PRSTATUS, make([]byte, 100)}}, nil),
			off: descs[0], msg: "NT_PRSTATUS is too short '100'"},
		{name: "absurd thread count",
			img: synthCore(manyThreads, nil),
			off: manyDescs[maxThreads], msg: "more than 65536 NT_PRSTATUS notes: the 3 from here on are ignored",
			check: func(t *testing.T, c *File) {
				if len(c.Threads) != maxThreads || c.Threads[maxThreads-1].TID != maxThreads {
					t.Errorf("%d threads", len(c.Threads))
				}
			}},
	}
	img, d := fileNoteCore(func() []byte {
		b := fileNote(nil)
		le.PutUint64(b, 1<<40)
		return b
	}(), 0)
	tests = append(tests, tcase{name: "NT_FILE count beyond its bytes", img: img, off: d, msg: "NT_FILE claims 1099511627776 entries in 16 bytes"})
	img, d = fileNoteCore(func() []byte {
		b := fileNote(nil)
		le.PutUint64(b[8:], 3)
		return b
	}(), 0)
	tests = append(tests, tcase{name: "NT_FILE bad page size", img: img, off: d + 8, msg: "NT_FILE has a bad page size '3'"})
	// The string table: the last path runs off the end, or there are
	// fewer paths than entries.
	img, d = fileNoteCore(twoFiles[:len(twoFiles)-1], 0)
	tests = append(tests, tcase{name: "NT_FILE path not terminated", img: img, off: d + 16 + 2*24 + 3, msg: "NT_FILE path 1 of 2 is not NUL-terminated"})
	img, d = fileNoteCore(twoFiles[:len(twoFiles)-3], 0)
	tests = append(tests, tcase{name: "NT_FILE fewer paths than entries", img: img, off: d + 16 + 2*24 + 3, msg: "NT_FILE path 1 of 2 is not NUL-terminated",
		check: func(t *testing.T, c *File) {
			if len(c.Files) != 0 {
				t.Errorf("files %+v from a broken string table", c.Files)
			}
		}})
	img, d = fileNoteCore(fileNote([]FileEntry{{Start: 0x1000, End: 0x2000, Path: "/a"}, {Start: 0x5000, End: 0x3000, Path: "/b"}}), 0)
	tests = append(tests, tcase{name: "NT_FILE entry ends before it starts", img: img, off: d + 16 + 24, msg: "NT_FILE entry 1 (/b): end 0x3000 is below start 0x5000; skipped",
		check: func(t *testing.T, c *File) {
			if len(c.Files) != 1 || c.Files[0].Path != "/a" {
				t.Errorf("files %+v", c.Files)
			}
		}})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewFile(bytes.NewReader(tt.img), int64(len(tt.img)))
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, p := range c.problems {
				var fe *FormatError
				if !errors.As(p, &fe) {
					t.Errorf("problem %v is a %T, want a *FormatError", p, p)
					continue
				}
				if strings.Contains(fe.Error(), tt.msg) {
					found = true
					if fe.Off != tt.off {
						t.Errorf("%q at offset %#x, want %#x", fe.Msg, fe.Off, tt.off)
					}
					if !strings.Contains(strings.Join(c.Warnings, "\n"), fe.Error()) {
						t.Errorf("%v is not among the warnings %q", fe, c.Warnings)
					}
				}
			}
			if !found {
				t.Errorf("problems %v, want one saying %q", c.problems, tt.msg)
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// TestTruncatedCore cuts a core inside its second mapping: the first keeps
// its bytes, the second is cut where the file ends, and the later ones lost
// everything. Each cut mapping is named in a warning with the address and
// core offset where its bytes stop; reads of lost bytes fail as Truncated,
// except in a read-only file mapping, whose bytes the file still holds.
func TestTruncatedCore(t *testing.T) {
	page := func(b byte) []byte { return bytes.Repeat([]byte{b}, 4096) }
	img := synthCore([]synthNote{
		{"CORE", NT_PRSTATUS, prstatus(1, 0, 0)},
		{"CORE", NT_FILE, fileNote([]FileEntry{
			{Start: 0x30000, End: 0x31000, Off: 0, Path: "/lib/libro.so"},
			{Start: 0x40000, End: 0x41000, Off: 0x1000, Path: "/lib/librw.so"},
		})},
	}, []synthLoad{
		{vaddr: 0x10000, memsz: 0x1000, flags: 6, data: page(1)},
		{vaddr: 0x20000, memsz: 0x2000, flags: 6, data: append(page(2), page(2)...)}, // rw- stack, cut 2048 bytes in
		{vaddr: 0x30000, memsz: 0x1000, flags: 4, data: page(3)},                     // r-- ELF header page of a library
		{vaddr: 0x40000, memsz: 0x1000, flags: 6, data: page(4)},                     // rw- .data of a library
	})
	// The loads' bytes are the last 5 pages: keep the first mapping's and
	// the first 2048 bytes of the second's.
	cutOff := len(img) - 3*4096 - 2048
	cut := img[:cutOff]
	c, err := NewFile(bytes.NewReader(cut), int64(len(cut)))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		truncated bool
		cutAt     uint64
		warning   string
	}{
		{false, 0, ""},
		{true, 0x20800, fmt.Sprintf("mapping 0x20000-0x22000 rw- anonymous is cut at 0x20800: its bytes stop at core offset %#x (2048 of 8192 dumped bytes present)", cutOff)},
		{true, 0x30000, "mapping 0x30000-0x31000 r-- /lib/libro.so lost all 4096 dumped bytes: they were at core offset"},
		{true, 0x40000, "mapping 0x40000-0x41000 rw- /lib/librw.so lost all 4096 dumped bytes"},
	}
	warnings := strings.Join(c.Warnings, "\n")
	for i, w := range want {
		m := c.Mappings[i]
		if m.Truncated != w.truncated || m.CutAt != w.cutAt {
			t.Errorf("mapping %d: truncated %v cut at %#x, want %v %#x", i, m.Truncated, m.CutAt, w.truncated, w.cutAt)
		}
		if w.warning != "" && !strings.Contains(warnings, w.warning) {
			t.Errorf("no warning says %q:\n%s", w.warning, warnings)
		}
	}
	if !strings.Contains(warnings, "3 of 4 mappings lost") || !strings.Contains(warnings, "the rest is read from /lib/libro.so") {
		t.Errorf("warnings:\n%s", warnings)
	}
	files := map[string][]byte{"/lib/libro.so": page(3), "/lib/librw.so": append(page(9), page(9)...)}
	mem := c.Memory(func(path string) (io.ReaderAt, int64, error) {
		b, ok := files[path]
		if !ok {
			return nil, 0, os.ErrNotExist
		}
		return bytes.NewReader(b), int64(len(b)), nil
	})
	var b [8]byte
	if _, err := mem.ReadAt(b[:], 0x207f8); err != nil || b[0] != 2 {
		t.Errorf("bytes before the cut: %v %x", err, b)
	}
	// The read-only library page comes from the file.
	if _, err := mem.ReadAt(b[:], 0x30000); err != nil || b[0] != 3 {
		t.Errorf("read-only page after the cut: %v %x, want the file's bytes", err, b)
	}
	for _, tc := range []struct {
		addr, failAt uint64
	}{
		{0x207fc, 0x20800}, // a read across the cut stops at it
		{0x21000, 0x21000},
		{0x40000, 0x40000}, // rw- file mapping: the file's bytes would be stale
	} {
		_, err := mem.ReadAt(b[:], tc.addr)
		var me *MemoryError
		if !errors.As(err, &me) || me.Reason != Truncated || me.Addr != tc.failAt {
			t.Errorf("read %#x: %v, want Truncated at %#x", tc.addr, err, tc.failAt)
		}
	}
}

// TestTruncatedCoreWarningsCapped: a core cut before many mappings names
// the first maxCutWarnings and counts the rest.
func TestTruncatedCoreWarningsCapped(t *testing.T) {
	var loads []synthLoad
	for i := range 25 {
		loads = append(loads, synthLoad{vaddr: uint64(0x100000 + i*0x1000), memsz: 0x1000, flags: 6, data: make([]byte, 4096)})
	}
	img := synthCore([]synthNote{{"CORE", NT_PRSTATUS, prstatus(1, 0, 0)}}, loads)
	cut := img[:len(img)-25*4096]
	c, err := NewFile(bytes.NewReader(cut), int64(len(cut)))
	if err != nil {
		t.Fatal(err)
	}
	var named int
	for _, w := range c.Warnings {
		if strings.HasPrefix(w, "truncated core: mapping") {
			named++
		}
	}
	if named != maxCutWarnings || !strings.Contains(strings.Join(c.Warnings, "\n"), "and 15 more cut mappings") {
		t.Errorf("%d mappings named; warnings %q", named, c.Warnings)
	}
}

// FuzzNewFile reads mutated cores: a synthetic one, and the smallest real
// fixture cores (a glibc PIE's, a static musl one's, and one without ELF
// header pages) whole and cut to their headers and notes, where most of the
// structure is.
func FuzzNewFile(f *testing.F) {
	f.Add(synthCore([]synthNote{
		{"CORE", NT_PRSTATUS, prstatus(100, 0x401000, 0x7ffc0000f00)},
		{"CORE", NT_FILE, fileNote([]FileEntry{{Start: 0x400000, End: 0x402000, Path: "/bin/prog"}})},
	}, []synthLoad{{vaddr: 0x7ffc0000000, memsz: 0x1000, flags: 6, data: make([]byte, 64)}}))
	for _, name := range []string{"c-null-deref", "musl-relr", "c-no-buildid"} {
		raw, err := os.ReadFile(testfixture.Get(f, name).RawCore(f))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		c, err := NewFile(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			f.Fatal(err)
		}
		// The bytes before the first dumped mapping: ELF header,
		// program headers and notes.
		end := int64(len(raw))
		for _, m := range c.Mappings {
			if m.FileSize > 0 {
				end = min(end, m.Off)
			}
		}
		f.Add(raw[:end])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := NewFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		mem := c.Memory(nil)
		for _, m := range c.Mappings {
			mem.ReadAt(make([]byte, 16), m.Start)
		}
		mem.Args()
	})
}
