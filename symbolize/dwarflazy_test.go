package symbolize

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// glibcDebug is libc6-dbg's debug file for the fixtures' libc (DWARF 5,
// every .debug_* section zlib-compressed, 2,063 units, .debug_aranges).
func glibcDebug() string {
	return filepath.Join(testfixture.Sysroot(), "usr/lib/debug/.build-id/93/ac61ec5a8eb1396f9fbd350e3169a558528a40.debug")
}

// mappedELF opens and maps path for a test.
func mappedELF(t testing.TB, path string) (*elf.File, *safefile.Mapped) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	mm, err := safefile.Map(fh)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mm.Close() })
	ef, err := elf.NewFile(mm)
	if err != nil {
		t.Fatal(err)
	}
	return ef, mm
}

// funcAddrs returns the start and middle of every sized function symbol in
// f's .symtab.
func funcAddrs(t testing.TB, f *elf.File) []uint64 {
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Size > 0 {
			out = append(out, s.Value, s.Value+s.Size/2)
		}
	}
	return out
}

// TestLazyDWARFMatchesWhole: the source positions of every function of
// glibc's debug file (its start and middle, inlined calls included) are the
// same whether the file's DWARF is read whole or only unit by unit, through
// .debug_aranges, with the units in between replaced by fillers.
func TestLazyDWARFMatchesWhole(t *testing.T) {
	ef, mm := mappedELF(t, glibcDebug())
	data := func(s *elf.Section) []byte { return sectionData(mm, s) }
	d, info, line, err := loadDWARF(ef, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := newDWARFIndex(d, "whole", len(info), line)
	if err != nil {
		t.Fatal(err)
	}
	lazy, ok, err := openLazyIndex(ef, mm, data, "lazy", nil, nil, "")
	if err != nil || !ok {
		t.Fatalf("openLazyIndex: ok %v, %v", ok, err)
	}
	addrs := funcAddrs(t, ef)
	if len(addrs) < 2000 {
		t.Fatalf("%d function addresses, want thousands", len(addrs))
	}
	// The units of every tenth address first, in one pass as PrepareSource
	// asks; then every address of those units, and a few hundred others
	// one by one, from the top down so that the stream restarts.
	var first []dwarf.Offset
	in := map[dwarf.Offset]bool{}
	for i := 0; i < len(addrs); i += 10 {
		if off, ok := lazy.unitFor(addrs[i]); ok {
			first = append(first, off)
			in[off] = true
		}
	}
	lazy.want(first)
	found, differ, asked := 0, 0, 0
	for i := len(addrs) - 1; i >= 0; i-- {
		a := addrs[i]
		if off, ok := lazy.unitFor(a); ok && !in[off] && i%37 != 0 {
			continue
		}
		asked++
		w, werr := whole.safeSource(a)
		l, lerr := lazy.safeSource(a)
		if (werr == nil) != (lerr == nil) || !reflect.DeepEqual(w, l) {
			if differ++; differ <= 5 {
				t.Errorf("%#x: whole %v (%v), lazy %v (%v)", a, w, werr, l, lerr)
			}
		}
		if len(w) > 0 {
			found++
		}
	}
	if found < asked/2 || asked < 1000 {
		t.Errorf("only %d of %d addresses asked have a position: the comparison proves little", found, asked)
	}
	if differ > 0 {
		t.Errorf("%d of %d addresses differ", differ, asked)
	}
}

// TestLazyDWARFReadsLittle: the units of glibc's first functions need a
// small part of its .debug_info and .debug_line inflated, not the whole.
func TestLazyDWARFReadsLittle(t *testing.T) {
	ef, mm := mappedELF(t, glibcDebug())
	data := func(s *elf.Section) []byte { return sectionData(mm, s) }
	ix, ok, err := openLazyIndex(ef, mm, data, "lazy", nil, nil, "")
	if err != nil || !ok {
		t.Fatalf("openLazyIndex: ok %v, %v", ok, err)
	}
	// The lowest-addressed units (csu/, libc-start): at the start of
	// .debug_info.
	lo := ix.cus[0].lo
	locs, err := ix.safeSource(lo)
	if err != nil || len(locs) == 0 {
		t.Fatalf("%#x: %v, %v", lo, locs, err)
	}
	lz := ix.lazy
	if lz.info.pos > lz.info.size/10 || lz.line.inflated() > uint64(len(lz.line.buf))/10 {
		t.Errorf("inflated %d of %d bytes of .debug_info and %d of %d of .debug_line for one unit", lz.info.pos, lz.info.size, lz.line.inflated(), len(lz.line.buf))
	}
	if n := len(lz.units); n != 1 {
		t.Errorf("%d units read, want 1", n)
	}
}

// TestArangeUnits decodes .debug_aranges sets: DWARF 2 with padding after
// the 12-byte header, a discarded range at 0 left out, a set with a
// segment selector skipped, and cut or overlong sets refused.
func TestArangeUnits(t *testing.T) {
	set := func(version uint16, unit uint32, seg byte, tuples ...uint64) []byte {
		var b bytes.Buffer
		body := binary.LittleEndian.AppendUint16(nil, version)
		body = binary.LittleEndian.AppendUint32(body, unit)
		body = append(body, 8, seg)
		body = append(body, 0, 0, 0, 0) // pad to 16 bytes from the set's start
		for _, v := range tuples {
			body = binary.LittleEndian.AppendUint64(body, v)
		}
		body = append(body, make([]byte, 16)...)
		b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(body))))
		b.Write(body)
		return b.Bytes()
	}
	b := append(set(2, 0x100, 0, 0x2000, 0x10, 0, 0x30), set(2, 0x40, 0, 0x1000, 0x20)...)
	b = append(b, set(2, 0x900, 1, 0x5000, 0x10)...)
	got, err := arangeUnits(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []addrRange{{0x1000, 0x1020, 0x40}, {0x2000, 0x2010, 0x100}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for name, bad := range map[string][]byte{
		"cut length": {1, 0},
		"overlong":   binary.LittleEndian.AppendUint32(nil, 1000),
		"short set":  {2, 0, 0, 0, 2, 0},
	} {
		if _, err := arangeUnits(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestAbbrevTableEnd finds the end of a table from its declarations:
// DW_TAG_compile_unit with children (producer strp, name string, one
// implicit_const), then DW_TAG_base_type; readelf --debug-dump=abbrev:
//
//	1  DW_TAG_compile_unit [has children]  DW_AT_producer DW_FORM_strp
//	   DW_AT_name DW_FORM_string  DW_AT_language DW_FORM_implicit_const: 12
//	2  DW_TAG_base_type [no children]  DW_AT_byte_size DW_FORM_data1
func TestAbbrevTableEnd(t *testing.T) {
	table := []byte{
		0x01, 0x11, 0x01, 0x25, 0x0e, 0x03, 0x08, 0x13, 0x21, 0x0c, 0x00, 0x00,
		0x02, 0x24, 0x00, 0x0b, 0x0b, 0x00, 0x00,
		0x00,
	}
	sec := append([]byte{0x00, 0x00}, table...)
	sec = append(sec, 0x07, 0x07) // the next table
	lz := &lazyDWARF{abbrev: &prefixSection{st: &sectionStream{name: ".debug_abbrev", plain: true, stored: sec, size: uint64(len(sec))}, buf: make([]byte, len(sec))}}
	end, err := lz.abbrevTableEnd(2)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(2 + len(table)); end != want {
		t.Errorf("end %d, want %d", end, want)
	}
	// A table cut short is an error, not a read past the section.
	lz.abbrev = &prefixSection{st: &sectionStream{name: ".debug_abbrev", plain: true, stored: table[:9], size: 9}, buf: make([]byte, 9)}
	if _, err := lz.abbrevTableEnd(0); err == nil {
		t.Error("cut table: no error")
	}
}

// glibcFrameAddrs are link-time addresses of the glibc frames of a rustc
// lexer overflow core (start_thread, clone3, __libc_start_call_main,
// futex and semaphore waits, syscall), minus one as for return addresses.
var glibcFrameAddrs = []uint64{0x2724a - 1, 0x27305 - 1, 0x85f16, 0x891f5 - 1, 0x8ace3 - 1, 0x90d90 - 1, 0x101829, 0x1098ec - 1}

// BenchmarkDWARFGlibcLazy reads the source positions of a rustc core's
// glibc frames from libc6-dbg's debug file, reading only their units.
func BenchmarkDWARFGlibcLazy(b *testing.B) {
	ef, mm := mappedELF(b, glibcDebug())
	data := func(s *elf.Section) []byte { return sectionData(mm, s) }
	b.ReportAllocs()
	for b.Loop() {
		ix, ok, err := openLazyIndex(ef, mm, data, "lazy", nil, nil, "")
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		var offs []dwarf.Offset
		for _, a := range glibcFrameAddrs {
			if off, ok := ix.unitFor(a); ok {
				offs = append(offs, off)
			}
		}
		ix.want(offs)
		for _, a := range glibcFrameAddrs {
			if l, err := ix.safeSource(a); err != nil || len(l) == 0 {
				b.Fatalf("%#x: %v %v", a, l, err)
			}
		}
	}
}

// BenchmarkDWARFGlibcWhole is the same with the whole DWARF inflated and
// every unit indexed, as before .debug_aranges was used.
func BenchmarkDWARFGlibcWhole(b *testing.B) {
	ef, mm := mappedELF(b, glibcDebug())
	data := func(s *elf.Section) []byte { return sectionData(mm, s) }
	b.ReportAllocs()
	for b.Loop() {
		d, info, line, err := loadDWARF(ef, data, nil)
		if err != nil {
			b.Fatal(err)
		}
		ix, err := newDWARFIndex(d, "whole", len(info), line)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range glibcFrameAddrs {
			if l, err := ix.safeSource(a); err != nil || len(l) == 0 {
				b.Fatalf("%#x: %v %v", a, l, err)
			}
		}
	}
}

// TestLazyDWARFInflatesAhead: want inflates a unit's abbreviation table
// and line program beside the unit (aheadTarget's guess from the unit's
// place in .debug_info), far enough for glibc's units: reading the unit's
// source lines after it inflates nothing more of either section.
func TestLazyDWARFInflatesAhead(t *testing.T) {
	ef, mm := mappedELF(t, glibcDebug())
	data := func(s *elf.Section) []byte { return sectionData(mm, s) }
	for _, frac := range []float64{0.3, 0.7, 0.95} {
		ix, ok, err := openLazyIndex(ef, mm, data, "lazy", nil, nil, "")
		if err != nil || !ok {
			t.Fatalf("openLazyIndex: ok %v, %v", ok, err)
		}
		lz := ix.lazy
		// The unit nearest frac of the way into .debug_info.
		best := ix.cus[0]
		for _, c := range ix.cus {
			if d, b := math.Abs(float64(c.ref)-frac*float64(lz.info.size)), math.Abs(float64(best.ref)-frac*float64(lz.info.size)); d < b {
				best = c
			}
		}
		ix.want([]dwarf.Offset{dwarf.Offset(best.ref)})
		line, abbrev := lz.line.inflated(), lz.abbrev.inflated()
		if line == 0 || abbrev == 0 {
			t.Fatalf("unit at %#x: nothing inflated ahead (line %d, abbrev %d)", best.ref, line, abbrev)
		}
		if locs, err := ix.safeSource(best.lo); err != nil || len(locs) == 0 || locs[len(locs)-1].Line == 0 {
			t.Fatalf("%#x: %v, %v", best.lo, locs, err)
		}
		if l, a := lz.line.inflated(), lz.abbrev.inflated(); l != line || a != abbrev {
			t.Errorf("unit at %#x (%.0f%% in): the guess fell short: .debug_line %d → %d, .debug_abbrev %d → %d", best.ref, 100*frac, line, l, abbrev, a)
		}
	}
}
