package symbolize

import (
	"bytes"
	"cmp"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"

	"github.com/coreview/coreview/internal/diskcache"
	"github.com/coreview/coreview/internal/inflate"
	"github.com/coreview/coreview/internal/parallel"
	"github.com/coreview/coreview/internal/safefile"
)

// Reading only the DWARF the frames need.
//
// A separate debug file such as libc6-dbg's stores .debug_info, .debug_line
// and .debug_abbrev compressed; a handful of glibc frames need a handful of
// its 2,000 units, yet debug/dwarf wants the whole sections, inflated, and
// parses the abbreviation table of every unit up front. When the file has
// .debug_aranges (DWARF's address → unit map, GCC writes one per unit),
// lazyDWARF instead
//   - maps the wanted addresses to units through .debug_aranges;
//   - inflates .debug_info only up to the end of the last wanted unit,
//     keeping the wanted units' bytes and dropping the rest;
//   - hands debug/dwarf a .debug_info of the same length in which each run
//     of dropped units is one "filler" unit (a DWARF 4 header over zeros,
//     with an empty abbreviation table), so every offset stays the one in
//     the file and parseUnits parses only the wanted units' tables;
//   - inflates .debug_abbrev and .debug_line only as far as the wanted
//     units' tables and line programs reach.
//
// A reference from a wanted unit into a dropped one (DW_FORM_ref_addr, which
// GCC emits only across LTO partitions) then names nothing: the name of
// such a scope is read as empty, which Source reports as no name.
// Addresses no .debug_aranges set covers have no unit here, as gdb's index
// built from .debug_aranges has none; a file without .debug_aranges is
// read whole (loadDWARF).

// arangeUnits parses .debug_aranges (DWARF 5 §6.1.2; versions 2 to 5 share
// the layout): per set, unit_length, version (2), debug_info_offset,
// address_size, segment_selector_size, padding to twice the address size
// from the set's start, then (address, length) tuples up to a (0, 0) one.
// Ranges at address 0 (discarded functions) are left out. Sets with a
// segment selector or an address size other than 4 or 8 are skipped.
func arangeUnits(b []byte) ([]addrRange, error) {
	var out []addrRange
	for off := uint64(0); off < uint64(len(b)); {
		start := off
		if uint64(len(b))-off < 4 {
			return nil, fmt.Errorf(".debug_aranges: set at %#x cut short", start)
		}
		n := uint64(binary.LittleEndian.Uint32(b[off:]))
		off += 4
		offSize := uint64(4)
		if n == 0xffffffff {
			if uint64(len(b))-off < 8 {
				return nil, fmt.Errorf(".debug_aranges: set at %#x cut short", start)
			}
			n, offSize = binary.LittleEndian.Uint64(b[off:]), 8
			off += 8
		}
		if n > uint64(len(b))-off {
			return nil, fmt.Errorf(".debug_aranges: set at %#x claims %d bytes, past the section's end", start, n)
		}
		end := off + n
		set := b[:end]
		if n < 2+offSize+2 {
			return nil, fmt.Errorf(".debug_aranges: set at %#x too short for its header", start)
		}
		version := binary.LittleEndian.Uint16(set[off:])
		var unit uint64
		if offSize == 4 {
			unit = uint64(binary.LittleEndian.Uint32(set[off+2:]))
		} else {
			unit = binary.LittleEndian.Uint64(set[off+2:])
		}
		asize, ssize := uint64(set[off+2+offSize]), set[off+3+offSize]
		off += 4 + offSize
		if version < 2 || version > 5 || ssize != 0 || (asize != 4 && asize != 8) {
			off = end
			continue
		}
		// Tuples start at a multiple of twice the address size from the
		// set's start.
		tuple := 2 * asize
		off = start + (off-start+tuple-1)/tuple*tuple
		for ; off+tuple <= end; off += tuple {
			var lo, size uint64
			if asize == 8 {
				lo, size = binary.LittleEndian.Uint64(set[off:]), binary.LittleEndian.Uint64(set[off+8:])
			} else {
				lo, size = uint64(binary.LittleEndian.Uint32(set[off:])), uint64(binary.LittleEndian.Uint32(set[off+4:]))
			}
			if lo == 0 && size == 0 {
				break
			}
			if lo != 0 && size > 0 && lo+size > lo && len(out) < maxUnitRanges {
				out = append(out, addrRange{lo, lo + size, unit})
			}
		}
		off = end
	}
	// Linkers lay units out in the order they list them, so the sets
	// are mostly in address order already (glibc's 2,083 ranges are): sort.Slice
	// was a quarter of opening a file's lazy DWARF.
	if !slices.IsSortedFunc(out, func(a, b addrRange) int { return cmp.Compare(a.lo, b.lo) }) {
		sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	}
	return out, nil
}

// sectionStream reads one section's inflated bytes in order, from the
// start: a zlib or zstd stream for a compressed section, the stored bytes
// for a plain one. Reading before where it stands starts it over.
type sectionStream struct {
	name   string
	size   uint64 // inflated
	stored []byte // what the file stores, after any compression header
	typ    elf.CompressionType
	plain  bool

	r    io.Reader
	zd   *zstd.Decoder
	pos  uint64
	skip []byte // scratch for the bytes dropped on the way
	// whole is the section inflated whole, once a read went back before
	// where the stream stood: one more pass, never one per unit.
	whole []byte
	// cached are units the persistent cache gave, by offset.
	cached map[uint64][]byte
	// dirty is set when the stream inflated something.
	dirty *atomic.Bool
	// mm and storedOff locate stored in the mapped file, for release.
	mm        *safefile.Mapped
	storedOff uint64
}

// release takes a compressed section's stored pages out of the resident
// set once what is wanted of it has been inflated (2.3 MB of glibc's
// .debug_info): a later pass faults them back in from the page cache.
func (st *sectionStream) release() {
	if st.plain || st.mm == nil {
		return
	}
	st.mm.Release(st.storedOff, uint64(len(st.stored)))
}

// newSectionStream opens s of a mapped file. It refuses what sectionData
// refuses: NOBITS, more than maxSectionSize, stored bytes outside the file.
func newSectionStream(mm *safefile.Mapped, s *elf.Section) (*sectionStream, error) {
	if mm == nil {
		return nil, errors.New("not mapped")
	}
	if s.Type == elf.SHT_NOBITS || s.Size > maxSectionSize {
		return nil, fmt.Errorf("section %s cannot be read", s.Name)
	}
	data := mm.Bytes()
	if s.Offset > uint64(len(data)) || s.FileSize > uint64(len(data))-s.Offset {
		return nil, fmt.Errorf("section %s lies outside the file", s.Name)
	}
	raw := data[s.Offset : s.Offset+s.FileSize : s.Offset+s.FileSize]
	st := &sectionStream{name: s.Name, mm: mm}
	switch {
	case s.Flags&elf.SHF_COMPRESSED != 0:
		if len(raw) < elf64ChdrSize {
			return nil, fmt.Errorf("section %s: compressed, without its Elf64_Chdr", s.Name)
		}
		st.typ, st.size, st.stored = elf.CompressionType(binary.LittleEndian.Uint32(raw)), binary.LittleEndian.Uint64(raw[8:]), raw[elf64ChdrSize:]
		st.storedOff = s.Offset + elf64ChdrSize
	case strings.HasPrefix(s.Name, ".zdebug_"):
		if len(raw) < 12 || string(raw[:4]) != "ZLIB" {
			return nil, fmt.Errorf("section %s without its ZLIB header", s.Name)
		}
		st.typ, st.size, st.stored = elf.COMPRESS_ZLIB, binary.BigEndian.Uint64(raw[4:12]), raw[12:]
		st.storedOff = s.Offset + 12
	default:
		st.plain, st.size, st.stored = true, uint64(len(raw)), raw
	}
	if st.size > maxSectionSize {
		return nil, fmt.Errorf("section %s claims %d bytes, more than the %d allowed", s.Name, st.size, maxSectionSize)
	}
	if !st.plain && st.typ != elf.COMPRESS_ZLIB && st.typ != elf.COMPRESS_ZSTD {
		return nil, fmt.Errorf("section %s: unknown compression %d", s.Name, st.typ)
	}
	return st, nil
}

func (st *sectionStream) restart() error {
	st.close()
	st.pos = 0
	switch {
	case st.plain:
		st.r = bytes.NewReader(st.stored)
	case st.typ == elf.COMPRESS_ZLIB:
		zr, err := inflate.NewZlibReader(st.stored, false)
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		st.r = zr
	default:
		zd, err := zstd.NewReader(bytes.NewReader(st.stored), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxSectionSize))
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		st.zd, st.r = zd, zd
	}
	return nil
}

func (st *sectionStream) close() {
	if st.zd != nil {
		st.zd.Close()
		st.zd = nil
	}
	st.r = nil
}

// readAt fills dst with the inflated bytes at off.
func (st *sectionStream) readAt(dst []byte, off uint64) error {
	_, err := st.readPrefix(dst, off)
	return err
}

// readPrefix is readAt that, on an error, says how much of dst it filled:
// what the stream gave before it broke.
func (st *sectionStream) readPrefix(dst []byte, off uint64) (int, error) {
	if off > st.size || uint64(len(dst)) > st.size-off {
		return 0, fmt.Errorf("%s: %d bytes at %#x, past its %d bytes", st.name, len(dst), off, st.size)
	}
	if st.plain {
		return copy(dst, st.stored[off:]), nil
	}
	if st.dirty != nil {
		st.dirty.Store(true)
	}
	if st.whole != nil {
		return copy(dst, st.whole[off:]), nil
	}
	if off < st.pos {
		whole := make([]byte, st.size)
		if err := st.restart(); err != nil {
			return 0, err
		}
		k, err := io.ReadFull(st.r, whole)
		st.close()
		if err != nil {
			n := 0
			if uint64(k) > off {
				n = copy(dst, whole[off:k])
			}
			return n, fmt.Errorf("%s: inflating: %w", st.name, err)
		}
		st.pos = uint64(k)
		st.whole = whole
		return copy(dst, whole[off:]), nil
	}
	if st.r == nil {
		if err := st.restart(); err != nil {
			return 0, err
		}
	}
	for st.pos < off {
		if st.skip == nil {
			st.skip = make([]byte, 64<<10)
		}
		n := min(uint64(len(st.skip)), off-st.pos)
		k, err := io.ReadFull(st.r, st.skip[:n])
		st.pos += uint64(k)
		if err != nil {
			return 0, fmt.Errorf("%s: inflating: %w", st.name, err)
		}
	}
	k, err := io.ReadFull(st.r, dst)
	st.pos += uint64(k)
	if err != nil {
		return k, fmt.Errorf("%s: inflating: %w", st.name, err)
	}
	return k, nil
}

// prefixSection is a section inflated from its start as far as it is
// needed, into a buffer of its whole inflated length (the pages past what
// was inflated are never touched). It may be inflated ahead (prefetch) on
// another goroutine while it is read: mu guards have, known, used and the
// stream; the bytes below have and in the known spans are never written
// again.
type prefixSection struct {
	st   *sectionStream
	buf  []byte
	mu   sync.Mutex
	have uint64
	// known are spans whose bytes the persistent cache gave, copied into
	// buf: the abbreviation tables and line programs of the units an
	// earlier analysis read. Sorted and disjoint; an inflation that
	// passes them skips them.
	known []span
	// used are the spans readers needed (a unit's abbreviation table, its
	// line program): what the cache keeps of the section.
	used []span
}

// span is the bytes [lo, hi) of a section.
type span struct{ lo, hi uint64 }

func newPrefixSection(st *sectionStream) *prefixSection {
	return &prefixSection{st: st, buf: make([]byte, st.size)}
}

// restore puts bytes of the section the cache gave at off (bounds
// checked by the caller): a known span, and the inflated prefix too if off
// is 0.
func (p *prefixSection) restore(off uint64, b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	copy(p.buf[off:], b)
	if off == 0 {
		p.have = max(p.have, uint64(len(b)))
	}
	p.known = append(p.known, span{off, off + uint64(len(b))})
	sort.Slice(p.known, func(i, j int) bool { return p.known[i].lo < p.known[j].lo })
	// Overlapping spans merge (an entry's runs do not overlap; this keeps
	// the list disjoint whatever it holds).
	out := p.known[:1]
	for _, k := range p.known[1:] {
		if last := &out[len(out)-1]; k.lo <= last.hi {
			last.hi = max(last.hi, k.hi)
			continue
		}
		out = append(out, k)
	}
	p.known = out
}

// covered reports whether [lo, hi) is held: inflated, or a known span's.
// p.mu is held.
func (p *prefixSection) covered(lo, hi uint64) bool {
	if hi <= p.have {
		return true
	}
	i := sort.Search(len(p.known), func(i int) bool { return p.known[i].hi > lo })
	return i < len(p.known) && p.known[i].lo <= max(lo, p.have) && hi <= p.known[i].hi
}

// ensureRange makes [lo, hi) readable: held already, or inflated up to hi.
func (p *prefixSection) ensureRange(lo, hi uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.covered(lo, hi) {
		return nil
	}
	return p.ensureLocked(hi)
}

// heldFrom makes the byte at pos readable and returns the end of the
// held run it is in: [pos, end) is readable without asking again (the
// bytes below have and in the known spans are never written again).
func (p *prefixSection) heldFrom(pos uint64) (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.covered(pos, pos+1) {
		if err := p.ensureLocked(pos + 1); err != nil {
			return 0, err
		}
	}
	end := max(pos, p.have)
	// The known spans are disjoint and do not touch (restore merges
	// them): one step past have reaches the run's end.
	i := sort.Search(len(p.known), func(i int) bool { return p.known[i].hi > end })
	if i < len(p.known) && p.known[i].lo <= end {
		end = p.known[i].hi
	}
	return min(end, uint64(len(p.buf))), nil
}

// use records that a reader needed [lo, hi), for the cache.
func (p *prefixSection) use(lo, hi uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.used = append(p.used, span{lo, hi})
}

// cacheRuns are the spans the cache keeps, merged: the known ones and
// the used ones, with their bytes (all held: below have or known).
func (p *prefixSection) cacheRuns() map[uint64][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	spans := append(append([]span(nil), p.known...), p.used...)
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	runs := map[uint64][]byte{}
	var cur span
	flush := func() {
		if cur.hi > cur.lo && cur.hi <= uint64(len(p.buf)) {
			runs[cur.lo] = p.buf[cur.lo:cur.hi]
		}
	}
	for i, s := range spans {
		if !p.covered(s.lo, s.hi) {
			continue // a reader's range the stream broke in
		}
		if i > 0 && s.lo <= cur.hi {
			cur.hi = max(cur.hi, s.hi)
			continue
		}
		flush()
		cur = s
	}
	flush()
	return runs
}

// ensure inflates up to end (at least 64 KiB more, to keep the steps few).
func (p *prefixSection) ensure(end uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ensureLocked(end)
}

func (p *prefixSection) ensureLocked(end uint64) error {
	if end <= p.have {
		return nil
	}
	if end > uint64(len(p.buf)) {
		return fmt.Errorf("%s: %#x is past its %d bytes", p.st.name, end, len(p.buf))
	}
	want := end
	end = min(uint64(len(p.buf)), max(end, p.have+64<<10))
	// The known spans are passed over (the stream skips their bytes):
	// a reader may be reading them. What was inflated before the stream
	// broke is kept: an inflation ahead (prefetch, or the 64 KiB more)
	// that meets a broken stream must not cost a reader the bytes before
	// the break.
	for p.have < end {
		i := sort.Search(len(p.known), func(i int) bool { return p.known[i].hi > p.have })
		next := end
		if i < len(p.known) {
			if k := p.known[i]; k.lo <= p.have {
				p.have = min(k.hi, uint64(len(p.buf)))
				continue
			} else {
				next = min(end, k.lo)
			}
		}
		k, err := p.st.readPrefix(p.buf[p.have:next], p.have)
		p.have += uint64(k)
		if err != nil {
			if p.have < want {
				return err
			}
			return nil
		}
	}
	return nil
}

// inflated is how far p is inflated.
func (p *prefixSection) inflated() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.have
}

// prefetch inflates p up to end in steps, so that a reader waits for a
// step, not for all of it.
func (p *prefixSection) prefetch(end uint64) error {
	for pos := p.inflated(); pos < end; pos = p.inflated() {
		if err := p.ensure(min(end, pos+prefetchStep)); err != nil {
			return err
		}
	}
	return nil
}

const prefetchStep = 256 << 10

// lazyDWARF holds what has been inflated of one file's DWARF, and builds
// debug/dwarf Data over the units wanted so far.
type lazyDWARF struct {
	mu     sync.Mutex
	info   *sectionStream
	abbrev *prefixSection
	line   *prefixSection
	whole  map[string][]byte // the small sections, inflated whole
	units  map[uint64][]byte // wanted unit offset -> its bytes (header included)
	dies   map[uint64]uint64 // wanted unit offset -> the offset of its top DIE
	d      *dwarf.Data
	view   []byte // the .debug_info d reads
	// emptyAbbrev is an offset in .debug_abbrev holding a 0 byte: an
	// empty table, for the filler units.
	emptyAbbrev uint64
	hasEmpty    bool

	// The persistent cache (dwarfcache.go), nil when not used; dirty is
	// set when something was inflated that the entry does not hold.
	cache    *diskcache.Cache
	cacheKey string
	dirty    atomic.Bool
}

// inflatedLen is a section's length once inflated (Size for a plain one).
func inflatedLen(s *elf.Section) uint64 {
	if n := inflatedSize(s); n > 0 {
		return uint64(n)
	}
	return s.Size
}

// lazySections are read through streams; the others of dwarfSectionsUsed
// are small and inflated whole.
var lazySections = map[string]bool{"info": true, "abbrev": true, "line": true}

// fillerHeader is the size of a DWARF 4 32-bit unit header: unit_length
// (4), version (2), debug_abbrev_offset (4), address_size (1).
const fillerHeader = 11

// want makes d hold the units at offs (those it does not hold already).
func (lz *lazyDWARF) want(offs []uint64) (*dwarf.Data, error) {
	lz.mu.Lock()
	defer lz.mu.Unlock()
	var add []uint64
	for _, o := range offs {
		if _, ok := lz.units[o]; !ok && !containsUint(add, o) {
			add = append(add, o)
		}
	}
	if len(add) == 0 && lz.d != nil {
		return lz.d, nil
	}
	sort.Slice(add, func(i, j int) bool { return add[i] < add[j] })
	// The units' abbreviation tables and line programs are inflated
	// beside them: the three streams are read from their start, and the
	// other two need .debug_info only to say how far. GCC's units, their
	// tables and their line programs come in the same order, so each is
	// taken as far into its section as the last unit lies into
	// .debug_info, and a little further; what that misses, readUnit and
	// ensureLines inflate after, as they would have.
	//
	// The three are tasks of parallel: the caller takes what no helper
	// has started (both CPUs may be busy with a walk and a symbol table).
	// A mapped file that shrank faults in them: the guard makes that the
	// unit's error, and an inflation ahead that faults is met again, and
	// reported, by the reader.
	var tasks []func()
	var err error
	tasks = append(tasks, func() {
		err = safefile.Guard(func() error {
			for _, o := range add {
				u, die, err := lz.readUnit(o)
				if err != nil {
					return err
				}
				lz.units[o], lz.dies[o] = u, die
			}
			return nil
		})
	})
	// Units the cache gave come with their tables and line programs
	// (cacheRuns): nothing to inflate ahead for.
	fromCache := true
	for _, o := range add {
		if _, ok := lz.info.cached[o]; !ok {
			fromCache = false
		}
	}
	for _, p := range []*prefixSection{lz.abbrev, lz.line} {
		if fromCache {
			break
		}
		if target := lz.aheadTarget(p, add[len(add)-1]); target > 0 {
			tasks = append(tasks, func() { _ = safefile.Guard(func() error { return p.prefetch(target) }) })
		}
	}
	parallel.Each(len(tasks), func(i int) { tasks[i]() })
	if err != nil {
		return nil, err
	}
	if err := lz.build(); err != nil {
		return nil, err
	}
	lz.info.release()
	if lz.abbrev != nil {
		lz.abbrev.st.release()
	}
	return lz.d, nil
}

// cachedUnits reports whether every unit at offs is read already or in
// the persistent cache's entry, or .debug_info is not compressed: want
// then inflates no .debug_info.
func (lz *lazyDWARF) cachedUnits(offs []dwarf.Offset) bool {
	lz.mu.Lock()
	defer lz.mu.Unlock()
	if lz.info.plain {
		return true
	}
	for _, o := range offs {
		if _, ok := lz.units[uint64(o)]; ok {
			continue
		}
		if _, ok := lz.info.cached[uint64(o)]; !ok {
			return false
		}
	}
	return true
}

func containsUint(s []uint64, v uint64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// readUnit inflates the unit at off and the abbreviation table it uses,
// and returns the offset of its top DIE, past the header: unit_length,
// version, then for DWARF 5 unit_type, address_size and
// debug_abbrev_offset, followed by a unit ID (skeleton and split units) or a
// type signature and offset (type units); before DWARF 5
// debug_abbrev_offset and address_size (DWARF 5 §7.5.1).
func (lz *lazyDWARF) readUnit(off uint64) (unit []byte, die uint64, err error) {
	var h [4 + 8 + 2 + 8]byte
	if off > lz.info.size || lz.info.size-off < fillerHeader {
		return nil, 0, fmt.Errorf(".debug_info: no unit at %#x", off)
	}
	hdr := h[:min(uint64(len(h)), lz.info.size-off)]
	cached, fromCache := lz.info.cached[off]
	if fromCache && len(cached) >= len(hdr) {
		copy(hdr, cached)
	} else if err := lz.info.readAt(hdr, off); err != nil {
		return nil, 0, err
	}
	n, lenSize := uint64(binary.LittleEndian.Uint32(hdr)), uint64(4)
	if n == 0xffffffff {
		n, lenSize = binary.LittleEndian.Uint64(hdr[4:]), 12
	}
	if n > lz.info.size-off-lenSize || n < 7 {
		return nil, 0, fmt.Errorf(".debug_info: unit at %#x claims %d bytes", off, n)
	}
	var u []byte
	if fromCache && uint64(len(cached)) == lenSize+n {
		u = cached
	} else {
		u = make([]byte, lenSize+n)
		copy(u, hdr)
		if err := lz.info.readAt(u[len(hdr):], off+uint64(len(hdr))); err != nil {
			return nil, 0, err
		}
	}
	// The abbreviation table's offset: after the version (DWARF 2-4), or
	// after version, unit_type and address_size (DWARF 5).
	offSize := uint64(4)
	if lenSize == 12 {
		offSize = 8
	}
	p := lenSize + 2
	version := binary.LittleEndian.Uint16(u[lenSize:])
	die = off + lenSize + 2 + offSize + 1
	if version >= 5 {
		p += 2
		die++
		switch u[lenSize+2] {
		case 4, 5: // DW_UT_skeleton, DW_UT_split_compile
			die += 8
		case 2, 6: // DW_UT_type, DW_UT_split_type
			die += 8 + offSize
		}
	}
	var abbrevOff uint64
	if lenSize == 12 {
		if p+8 > uint64(len(u)) {
			return nil, 0, fmt.Errorf(".debug_info: unit at %#x too short", off)
		}
		abbrevOff = binary.LittleEndian.Uint64(u[p:])
	} else {
		if p+4 > uint64(len(u)) {
			return nil, 0, fmt.Errorf(".debug_info: unit at %#x too short", off)
		}
		abbrevOff = uint64(binary.LittleEndian.Uint32(u[p:]))
	}
	end, err := lz.abbrevTableEnd(abbrevOff)
	if err != nil {
		return nil, 0, fmt.Errorf(".debug_info: unit at %#x: %w", off, err)
	}
	if !lz.hasEmpty {
		lz.emptyAbbrev, lz.hasEmpty = end-1, true
	}
	return u, die, nil
}

// abbrevTableEnd inflates .debug_abbrev through the table at off and
// returns the offset just past it (its terminating 0 code). A table is a
// list of declarations, each a code, a tag, a children flag and
// (attribute, form) pairs ending with (0, 0), DW_FORM_implicit_const
// (0x21) with a signed constant after it; a code of 0 ends the table
// (DWARF 5 §7.5.3).
func (lz *lazyDWARF) abbrevTableEnd(off uint64) (uint64, error) {
	a := lz.abbrev
	pos := off
	held := off // [.., held) is readable: asked once per held run, not per byte
	next := func() (byte, error) {
		if pos >= held {
			h, err := a.heldFrom(pos)
			if err != nil {
				return 0, err
			}
			held = h
		}
		c := a.buf[pos]
		pos++
		return c, nil
	}
	uleb := func() (uint64, error) {
		var v uint64
		for shift := 0; ; shift += 7 {
			c, err := next()
			if err != nil {
				return 0, err
			}
			if shift < 64 {
				v |= uint64(c&0x7f) << shift
			}
			if c&0x80 == 0 {
				return v, nil
			}
			if shift > 70 {
				return 0, fmt.Errorf(".debug_abbrev: LEB128 at %#x too long", pos)
			}
		}
	}
	for n := 0; ; n++ {
		if n > maxAbbrevDecls {
			return 0, fmt.Errorf(".debug_abbrev: table at %#x has more than %d declarations", off, maxAbbrevDecls)
		}
		code, err := uleb()
		if err != nil {
			return 0, err
		}
		if code == 0 {
			a.use(off, pos)
			return pos, nil
		}
		if _, err := uleb(); err != nil { // tag
			return 0, err
		}
		if _, err := next(); err != nil { // children
			return 0, err
		}
		for k := 0; ; k++ {
			if k > maxAbbrevDecls {
				return 0, fmt.Errorf(".debug_abbrev: declaration in the table at %#x has too many attributes", off)
			}
			attr, err := uleb()
			if err != nil {
				return 0, err
			}
			form, err := uleb()
			if err != nil {
				return 0, err
			}
			if attr == 0 && form == 0 {
				break
			}
			if form == 0x21 { // DW_FORM_implicit_const
				if _, err := uleb(); err != nil { // SLEB128: same length rule
					return 0, err
				}
			}
		}
	}
}

// maxAbbrevDecls bounds the declarations of one table and the attributes
// of one declaration walked for its end.
const maxAbbrevDecls = 1 << 20

// build lays the wanted units at their offsets in a .debug_info of the
// original length, fills each gap with one filler unit, and makes d.
func (lz *lazyDWARF) build() error {
	offs := make([]uint64, 0, len(lz.units))
	for o := range lz.units {
		offs = append(offs, o)
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	last := offs[len(offs)-1]
	end := last + uint64(len(lz.units[last]))
	view := make([]byte, end)
	prev := uint64(0)
	for _, o := range offs {
		if o < prev {
			return fmt.Errorf(".debug_info: unit at %#x overlaps the one before", o)
		}
		if err := lz.fill(view, prev, o); err != nil {
			return err
		}
		prev = o + uint64(copy(view[o:], lz.units[o]))
	}
	sec := map[string][]byte{"info": view, "abbrev": lz.abbrev.buf}
	if lz.line != nil {
		sec["line"] = lz.line.buf
	}
	for k, v := range lz.whole {
		sec[k] = v
	}
	d, err := newDWARFData(sec)
	if err != nil {
		return err
	}
	lz.d, lz.view = d, view
	return nil
}

// fill writes filler units over view[from:to].
func (lz *lazyDWARF) fill(view []byte, from, to uint64) error {
	for from < to {
		gap := to - from
		if gap < fillerHeader {
			return fmt.Errorf(".debug_info: %d bytes between units at %#x, too few for a unit", gap, from)
		}
		n := min(gap, 1<<30)
		if r := gap - n; r > 0 && r < fillerHeader {
			n -= fillerHeader
		}
		binary.LittleEndian.PutUint32(view[from:], uint32(n-4))
		binary.LittleEndian.PutUint16(view[from+4:], 4)
		binary.LittleEndian.PutUint32(view[from+6:], uint32(lz.emptyAbbrev))
		view[from+10] = 8
		from += n
	}
	return nil
}

// aheadTarget is how far into p (.debug_abbrev or .debug_line) what the
// unit at off uses is guessed to end, 0 when the guess is not worth
// inflating ahead for (the section is not compressed, or inflated that
// far).
func (lz *lazyDWARF) aheadTarget(p *prefixSection, off uint64) uint64 {
	if p == nil || p.st.plain || lz.info.size == 0 || off >= lz.info.size {
		return 0
	}
	size := p.st.size
	t := min(size, uint64(float64(off)/float64(lz.info.size)*float64(size))+aheadSlack)
	if t <= p.inflated() {
		return 0
	}
	return t
}

// aheadSlack is how much further than the guess aheadTarget reaches: a
// line program or abbreviation table of glibc's is a few KiB.
const aheadSlack = 64 << 10

// stmtList makes sure the line program the unit at off names is inflated.
func (lz *lazyDWARF) ensureLines(d *dwarf.Data, off dwarf.Offset) error {
	if lz.line == nil {
		return nil
	}
	r := readerAt(d, off)
	cu, err := r.Next()
	if err != nil || cu == nil {
		return err
	}
	stmt, ok := cu.Val(dwarf.AttrStmtList).(int64)
	if !ok || stmt < 0 {
		return nil
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	o := uint64(stmt)
	if o > lz.line.st.size || lz.line.st.size-o < 4 {
		return nil // checkLineHeader says why
	}
	if err := lz.line.ensureRange(o, o+12); err != nil && lz.line.ensureRange(o, o+4) != nil {
		return err
	}
	n, lenSize := uint64(binary.LittleEndian.Uint32(lz.line.buf[o:])), uint64(4)
	if n == 0xffffffff {
		if lz.line.ensureRange(o, o+12) != nil {
			return nil
		}
		n, lenSize = binary.LittleEndian.Uint64(lz.line.buf[o+4:]), 12
	}
	if n > lz.line.st.size-o-lenSize {
		return nil // checkLineHeader says why
	}
	defer lz.line.st.release()
	if err := lz.line.ensureRange(o, o+lenSize+n); err != nil {
		return err
	}
	lz.line.use(o, o+lenSize+n)
	return nil
}

// openLazyDWARF prepares the lazy reading of f's DWARF when f is mapped and
// has .debug_aranges; ok is false when the whole sections must be read
// instead. cus are the units' address ranges from .debug_aranges.
func openLazyDWARF(f *elf.File, mm *safefile.Mapped, data func(*elf.Section) []byte, cache *diskcache.Cache, key string) (lz *lazyDWARF, cus []addrRange, infoSize int, ok bool, err error) {
	if mm == nil {
		return nil, nil, 0, false, nil
	}
	var aranges *elf.Section
	byName := map[string]*elf.Section{}
	for _, s := range f.Sections {
		suffix, isDWARF := dwarfSuffix(s.Name)
		if !isDWARF {
			continue
		}
		if s.Type == elf.SHT_NOBITS {
			continue
		}
		if suffix == "aranges" && aranges == nil {
			aranges = s
		}
		if dwarfSectionsUsed[suffix] && byName[suffix] == nil {
			byName[suffix] = s
		}
	}
	if aranges == nil || byName["info"] == nil || byName["abbrev"] == nil {
		return nil, nil, 0, false, nil
	}
	if f.Section(".gopclntab") != nil {
		// A Go program the system linker linked (cgo): Go's linker
		// writes no .debug_aranges for its units, so the ranges the C
		// compiler wrote index only the C units, and the Go code would
		// have no source lines.
		return nil, nil, 0, false, nil
	}
	compressed := false
	for _, s := range byName {
		compressed = compressed || inflatedSize(s) > 0
	}
	var entry map[string]*cachedSection
	if !compressed || key == "" {
		cache = nil
	}
	if b, hit := cache.Get(key); hit {
		entry, _ = decodeDWARFCache(b) // a bad entry is no entry
	}
	lz = &lazyDWARF{whole: map[string][]byte{}, units: map[uint64][]byte{}, dies: map[uint64]uint64{}, cache: cache, cacheKey: key}
	// whole reads a section whole, from the cache entry when it has it.
	whole := func(s *elf.Section, suffix string) []byte {
		if b, ok := cachedWhole(entry, suffix, inflatedLen(s)); ok {
			return b
		}
		if inflatedSize(s) > 0 {
			lz.dirty.Store(true)
		}
		return data(s)
	}
	ab := whole(aranges, "aranges")
	if len(ab) == 0 {
		return nil, nil, 0, false, nil
	}
	lz.whole["aranges"] = ab
	cus, err = arangeUnits(ab)
	if err != nil || len(cus) == 0 {
		return nil, nil, 0, false, nil // read the whole DWARF instead
	}
	for suffix, s := range byName {
		if lazySections[suffix] {
			st, err := newSectionStream(mm, s)
			if err != nil {
				return nil, nil, 0, false, err
			}
			st.dirty = &lz.dirty
			c := entry[suffix]
			if c != nil && c.size != st.size {
				c = nil
			}
			switch suffix {
			case "info":
				lz.info = st
				if c != nil {
					st.cached = c.runs
				}
			case "abbrev", "line":
				p := newPrefixSection(st)
				if c != nil {
					for off, run := range c.runs {
						p.restore(off, run) // decodeDWARFCache checked the bounds
					}
				}
				if suffix == "abbrev" {
					lz.abbrev = p
				} else {
					lz.line = p
				}
			}
			continue
		}
		b := whole(s, suffix)
		if b == nil && s.Size > 0 {
			return nil, nil, 0, false, fmt.Errorf("section %s is unreadable", s.Name)
		}
		lz.whole[suffix] = b
	}
	return lz, cus, int(lz.info.size), true, nil
}

// openLazyIndex indexes f's DWARF for lazy reading (see lazyDWARF); ok is
// false when f must be read whole. What the compressed sections claim is
// taken from the budget as loadDWARF takes it: the buffers have their full
// inflated length, though only what is read is ever touched.
func openLazyIndex(f *elf.File, mm *safefile.Mapped, data func(*elf.Section) []byte, path string, budget *inflateBudget, cache *diskcache.Cache, key string) (ix *dwarfIndex, ok bool, err error) {
	lz, cus, infoSize, ok, err := openLazyDWARF(f, mm, data, cache, key)
	if !ok || err != nil {
		return nil, ok, err
	}
	var claimed int64
	seen := map[string]bool{}
	for _, s := range f.Sections {
		if _, isDWARF := dwarfSuffix(s.Name); isDWARF && !seen[s.Name] {
			seen[s.Name] = true
			claimed += inflatedSize(s)
		}
	}
	if claimed > maxModuleInflate {
		return nil, true, fmt.Errorf("its compressed DWARF sections claim more than %d MiB inflated; not read", maxModuleInflate>>20)
	}
	if err := budget.reserve(claimed); err != nil {
		return nil, true, err
	}
	ix = &dwarfIndex{path: path, cus: cus, maxEntries: infoSize + 1, lazy: lz,
		units: map[dwarf.Offset]*unitSlot{}, names: map[dwarf.Offset]string{}, cache: map[uint64][]Location{}}
	if lz.line != nil {
		ix.line = lz.line.buf
	}
	return ix, true, nil
}

// want reads the units at offs of a lazily read file in one pass (nothing
// for a file read whole). A unit that cannot be read is left for unit to
// report.
func (ix *dwarfIndex) want(offs []dwarf.Offset) {
	if ix.lazy == nil || len(offs) == 0 {
		return
	}
	u := make([]uint64, len(offs))
	for i, o := range offs {
		u[i] = uint64(o)
	}
	if _, err := ix.lazy.want(u); err == nil {
		ix.setData()
	}
}

// dataFor returns the Data that holds the unit at off and the offset of
// the unit's top DIE, reading it first when the file is read lazily: then
// off is the unit's own offset (from .debug_aranges), else already that of
// its DIE.
func (ix *dwarfIndex) dataFor(off dwarf.Offset) (*dwarf.Data, dwarf.Offset, error) {
	if ix.lazy == nil {
		return ix.d, off, nil
	}
	d, err := ix.lazy.want([]uint64{uint64(off)})
	if err != nil {
		return nil, 0, err
	}
	ix.setData()
	ix.lazy.mu.Lock()
	die := dwarf.Offset(ix.lazy.dies[uint64(off)])
	ix.lazy.mu.Unlock()
	if err := ix.lazy.ensureLines(d, die); err != nil {
		return nil, 0, err
	}
	return d, die, nil
}

// setData makes the latest Data, which holds every unit read so far, the
// one names are read from.
func (ix *dwarfIndex) setData() {
	ix.lazy.mu.Lock()
	latest := ix.lazy.d
	ix.lazy.mu.Unlock()
	ix.mu.Lock()
	ix.d = latest
	ix.mu.Unlock()
}
