package corefile

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// fakeMem is a process's memory made of byte runs at addresses.
type fakeMem map[uint64][]byte

func (m fakeMem) ReadAt(p []byte, addr uint64) (int, error) {
	for base, b := range m {
		if addr >= base && addr < base+uint64(len(b)) {
			n := copy(p, b[addr-base:])
			if n < len(p) {
				return n, errors.New("short")
			}
			return n, nil
		}
	}
	return 0, errors.New("not mapped")
}

func put64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// process builds the memory of a PIE at 0x555500000000 (PT_PHDR p_vaddr
// 0x40, PT_INTERP, PT_DYNAMIC p_vaddr 0x3df8 with DT_DEBUG), its r_debug at
// 0x7f0000001000 and the link_map entries given: the executable's own
// (l_name ""), then each library, linked by l_next. With r_next set, a
// second namespace's r_debug.
func process(t *testing.T, libs []Image, link func(i int) uint64) (*File, fakeMem) {
	t.Helper()
	const bias, rdebug, maps = 0x555500000000, 0x7f0000001000, 0x7f0000002000
	ph := make([]byte, 3*56)
	binary.LittleEndian.PutUint32(ph[0:], ptPhdr)
	put64(ph, 16, 0x40)
	binary.LittleEndian.PutUint32(ph[56:], ptInterp)
	binary.LittleEndian.PutUint32(ph[112:], ptDynamic)
	put64(ph, 112+16, 0x3df8)
	put64(ph, 112+40, 3*16)
	dyn := make([]byte, 3*16)
	put64(dyn, 0, 1) // DT_NEEDED
	put64(dyn, 16, dtDebug)
	put64(dyn, 24, rdebug)
	mem := fakeMem{bias + 0x40: ph, bias + 0x3df8: dyn, 0x7ffc00000000: []byte("./prog\x00")}
	rd := make([]byte, 40)
	binary.LittleEndian.PutUint32(rd, 1)
	put64(rd, 8, maps)
	mem[rdebug] = rd
	all := append([]Image{{Name: "", Bias: bias, Dynamic: bias + 0x3df8}}, libs...)
	for i, l := range all {
		e := make([]byte, 40)
		put64(e, 0, l.Bias)
		name := uint64(0x7f0000100000 + i*0x100)
		mem[name] = append([]byte(l.Name), 0)
		put64(e, 8, name)
		put64(e, 16, l.Dynamic)
		put64(e, 24, link(i))
		mem[maps+uint64(i)*0x40] = e
	}
	c := &File{Auxv: []AuxEntry{{AT_PHDR, bias + 0x40}, {AT_PHENT, 56}, {AT_PHNUM, 3}, {AT_ENTRY, bias + 0x1040},
		{AT_EXECFN, 0x7ffc00000000}, {AT_SYSINFO_EHDR, 0x7fff00000000}},
		Mappings: []*Mapping{{Start: 0x7fff00000000, End: 0x7fff00002000}}}
	return c, mem
}

// next links entry i to entry i+1 of n, the last to none.
func next(n int) func(int) uint64 {
	return func(i int) uint64 {
		if i+1 >= n {
			return 0
		}
		return 0x7f0000002000 + uint64(i+1)*0x40
	}
}

func TestReadImages(t *testing.T) {
	libs := []Image{
		{Name: "linux-vdso.so.1", Bias: 0x7fff00000000, Dynamic: 0x7fff00000400},
		{Name: "/lib/x86_64-linux-gnu/libc.so.6", Bias: 0x7f1000000000, Dynamic: 0x7f10001d0000},
		{Name: "/lib64/ld-linux-x86-64.so.2", Bias: 0x7f2000000000, Dynamic: 0x7f2000030000},
	}
	c, mem := process(t, libs, next(4))
	im := c.ReadImages(mem)
	if !im.HaveExe || im.Exe.Name != "./prog" || !im.Exe.HaveBias || im.Exe.Bias != 0x555500000000 || im.Exe.Dynamic != 0x555500003df8 || im.Exe.Entry != 0x555500001040 {
		t.Errorf("executable %+v", im.Exe)
	}
	if len(im.Libs) != 2 || im.Libs[0].Name != libs[1].Name || im.Libs[0].Bias != libs[1].Bias || im.Libs[0].Dynamic != libs[1].Dynamic || im.Libs[1].Name != libs[2].Name {
		t.Errorf("libraries %+v, want libc and ld.so (not the executable's entry, not the vDSO's)", im.Libs)
	}
	if len(im.Warnings) != 0 {
		t.Errorf("warnings %q", im.Warnings)
	}
}

func TestReadImagesDamaged(t *testing.T) {
	libs := []Image{
		{Name: "/lib/a.so", Bias: 0x7f1000000000, Dynamic: 0x7f1000003000},
		{Name: "/lib/b.so", Bias: 0x7f2000000000, Dynamic: 0x7f2000003000},
	}
	t.Run("a cycle", func(t *testing.T) {
		c, mem := process(t, libs, func(i int) uint64 { return 0x7f0000002000 + uint64((i+1)%3)*0x40 })
		im := c.ReadImages(mem)
		if len(im.Libs) != 2 || len(im.Warnings) != 1 || !strings.Contains(im.Warnings[0], "loops back") {
			t.Errorf("libs %+v warnings %q", im.Libs, im.Warnings)
		}
	})
	t.Run("a cut list", func(t *testing.T) {
		c, mem := process(t, libs, func(i int) uint64 {
			if i == 1 {
				return 0x7e0000000000 // not in the core
			}
			return next(3)(i)
		})
		im := c.ReadImages(mem)
		if len(im.Libs) != 1 || len(im.Warnings) != 1 || !strings.Contains(im.Warnings[0], "cut there") {
			t.Errorf("libs %+v warnings %q", im.Libs, im.Warnings)
		}
	})
	t.Run("r_debug not dumped", func(t *testing.T) {
		c, mem := process(t, libs, next(3))
		delete(mem, 0x7f0000001000)
		im := c.ReadImages(mem)
		if len(im.Libs) != 0 || len(im.Warnings) != 1 || !strings.Contains(im.Warnings[0], "r_debug") {
			t.Errorf("libs %+v warnings %q", im.Libs, im.Warnings)
		}
	})
	t.Run("program headers not dumped", func(t *testing.T) {
		c, mem := process(t, libs, next(3))
		delete(mem, 0x555500000040)
		im := c.ReadImages(mem)
		if !im.HaveExe || im.Exe.HaveBias || len(im.Libs) != 0 || len(im.Warnings) != 1 {
			t.Errorf("exe %+v libs %+v warnings %q", im.Exe, im.Libs, im.Warnings)
		}
	})
	t.Run("absurd AT_PHNUM", func(t *testing.T) {
		c, mem := process(t, libs, next(3))
		c.Auxv[2].Val = 60000
		if im := c.ReadImages(mem); im.HaveExe || len(im.Warnings) != 1 {
			t.Errorf("%+v", im)
		}
	})
	t.Run("a name without its NUL", func(t *testing.T) {
		c, mem := process(t, libs, next(3))
		mem[0x7f0000100100] = []byte("/lib/a.so") // no NUL, nothing after
		im := c.ReadImages(mem)
		if len(im.Libs) != 2 || im.Libs[0].Name != "/lib/a.so" || len(im.Warnings) != 1 || !strings.Contains(im.Warnings[0], "not in the core") {
			t.Errorf("libs %+v warnings %q", im.Libs, im.Warnings)
		}
	})
}

// TestReadImagesNamespaces: r_debug_extended (r_version 2) chains a
// dlmopen namespace's r_debug; its list is walked too.
func TestReadImagesNamespaces(t *testing.T) {
	libs := []Image{{Name: "/lib/a.so", Bias: 0x7f1000000000, Dynamic: 0x7f1000003000}}
	c, mem := process(t, libs, next(2))
	rd := mem[0x7f0000001000]
	binary.LittleEndian.PutUint32(rd, 2)
	ext := append(rd[:40:40], make([]byte, 8)...)
	put64(ext, 40, 0x7f0000005000)
	mem[0x7f0000001000] = ext
	rd2 := make([]byte, 48)
	binary.LittleEndian.PutUint32(rd2, 2)
	put64(rd2, 8, 0x7f0000006000)
	mem[0x7f0000005000] = rd2
	e := make([]byte, 40)
	put64(e, 0, 0x7f3000000000)
	put64(e, 8, 0x7f0000007000)
	put64(e, 16, 0x7f3000003000)
	mem[0x7f0000006000] = e
	mem[0x7f0000007000] = []byte("/lib/a.so\x00")
	im := c.ReadImages(mem)
	if len(im.Libs) != 2 || im.Libs[1].Namespace != 1 || im.Libs[1].Bias != 0x7f3000000000 {
		t.Errorf("libs %+v warnings %q", im.Libs, im.Warnings)
	}
}

// linkMapBlob lays out in one buffer, loaded at 0x1000, what ReadImages
// walks: program headers (PT_PHDR at 0, PT_DYNAMIC at 0x200), DT_DEBUG
// pointing at r_debug (0x300), two link_map entries (0x400, 0x440) and
// their names (0x800).
func linkMapBlob() []byte {
	b := make([]byte, 0x900)
	le := binary.LittleEndian
	le.PutUint32(b[0:], ptPhdr)
	le.PutUint32(b[56:], ptDynamic)
	le.PutUint64(b[56+16:], 0x200)
	le.PutUint64(b[56+40:], 32)
	le.PutUint64(b[0x200:], dtDebug)
	le.PutUint64(b[0x208:], 0x1300)
	le.PutUint32(b[0x300:], 1)
	le.PutUint64(b[0x308:], 0x1400)
	le.PutUint64(b[0x400+16:], 0x1200) // the executable's own entry
	le.PutUint64(b[0x400+24:], 0x1440)
	le.PutUint64(b[0x440:], 0x7f0000000000)
	le.PutUint64(b[0x440+8:], 0x1800)
	le.PutUint64(b[0x440+16:], 0x7f0000003000)
	copy(b[0x800:], "/lib/libc.so.6\x00")
	return b
}

// FuzzReadImages: whatever the memory holds, ReadImages ends, bounded,
// without a panic.
func FuzzReadImages(f *testing.F) {
	f.Add(linkMapBlob(), uint8(2))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, phnum uint8) {
		c := &File{Auxv: []AuxEntry{{AT_PHDR, 0x1000}, {AT_PHNUM, uint64(phnum)}, {AT_EXECFN, 0x1800}}}
		im := c.ReadImages(fakeMem{0x1000: data})
		if len(im.Libs) > maxLinkMaps {
			t.Fatalf("%d libraries", len(im.Libs))
		}
	})
}

// TestLinkMapBlob: the fuzz seed is a valid process.
func TestLinkMapBlob(t *testing.T) {
	c := &File{Auxv: []AuxEntry{{AT_PHDR, 0x1000}, {AT_PHNUM, 2}}}
	im := c.ReadImages(fakeMem{0x1000: linkMapBlob()})
	if len(im.Libs) != 1 || im.Libs[0].Name != "/lib/libc.so.6" || im.Exe.Bias != 0x1000 || len(im.Warnings) != 0 {
		t.Errorf("%+v", im)
	}
}
