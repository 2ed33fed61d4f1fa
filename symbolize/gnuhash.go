package symbolize

import (
	"debug/elf"
	"encoding/binary"

	"github.com/coreview/coreview/internal/safefile"
)

// ExportedFuncAddr returns the link-time address of the function the
// module exports under name: a defined STT_FUNC or STT_GNU_IFUNC entry of
// its .dynsym, found through .gnu.hash as the dynamic linker finds it (a
// few pages read, not the whole table), or by a scan of .dynsym when the
// module has no .gnu.hash. A call from another module can only reach a
// function this way, so a call site's declared target is looked up in the
// other modules with it.
func (m *Module) ExportedFuncAddr(name string) (uint64, bool) {
	f := m.elf
	if f == nil || name == "" {
		return 0, false
	}
	dynsym := f.SectionByType(elf.SHT_DYNSYM)
	if dynsym == nil || int(dynsym.Link) >= len(f.Sections) {
		return 0, false
	}
	var addr uint64
	var found bool
	safefile.Guard(func() error {
		syms, strtab := m.sectionBytes(dynsym), m.sectionBytes(f.Sections[dynsym.Link])
		match := func(i uint64) bool {
			if i == 0 || i >= uint64(len(syms)/elfSymSize) {
				return false
			}
			e := syms[i*elfSymSize:]
			info, shndx := e[4], binary.LittleEndian.Uint16(e[6:])
			t := elf.ST_TYPE(info)
			if t != elf.STT_FUNC && t != elf.STT_GNU_IFUNC || shndx == uint16(elf.SHN_UNDEF) || elf.ST_BIND(info) == elf.STB_LOCAL {
				return false
			}
			n := uint64(binary.LittleEndian.Uint32(e))
			value := binary.LittleEndian.Uint64(e[8:])
			if value == 0 || n+uint64(len(name)) >= uint64(len(strtab)) || strtab[n+uint64(len(name))] != 0 || string(strtab[n:n+uint64(len(name))]) != name {
				return false
			}
			addr, found = value, true
			return true
		}
		if h := f.Section(".gnu.hash"); h != nil {
			if _, ok := gnuHashLookup(m.sectionBytes(h), name, match); ok {
				return nil
			}
			if gnuHashValid(m.sectionBytes(h)) {
				return nil // the table is sound and does not have it
			}
		}
		for i := uint64(1); i < uint64(len(syms)/elfSymSize); i++ {
			if match(i) {
				return nil
			}
		}
		return nil
	})
	return addr, found
}

// gnuHash is the GNU hash function (dl_new_hash in glibc's dl-lookup.c).
func gnuHash(name string) uint32 {
	h := uint32(5381)
	for i := 0; i < len(name); i++ {
		h = h*33 + uint32(name[i])
	}
	return h
}

// gnuHashValid reports whether b is a .gnu.hash section whose header and
// arrays fit in it (ELF64: the bloom filter's words are 8 bytes).
func gnuHashValid(b []byte) bool {
	if len(b) < 16 {
		return false
	}
	nbuckets, bloomSize := uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[8:]))
	return nbuckets > 0 && 16+bloomSize*8+nbuckets*4 <= uint64(len(b))
}

// gnuHashLookup walks the .gnu.hash chain of name (the layout of glibc's
// dl-lookup.c do_lookup_x and binutils' elf_gnu_hash_process_symidx):
// nbuckets, symoffset, bloom_size, bloom_shift, the bloom words, the
// buckets, then one hash value per symbol from symoffset on, the lowest bit
// set on the last of a chain. match decides on each candidate symbol.
func gnuHashLookup(b []byte, name string, match func(uint64) bool) (uint64, bool) {
	if !gnuHashValid(b) {
		return 0, false
	}
	le := binary.LittleEndian
	nbuckets, symoffset, bloomSize := uint64(le.Uint32(b)), uint64(le.Uint32(b[4:])), uint64(le.Uint32(b[8:]))
	buckets := 16 + bloomSize*8
	chains := buckets + nbuckets*4
	h := gnuHash(name)
	i := uint64(le.Uint32(b[buckets+uint64(h)%nbuckets*4:]))
	if i == 0 || i < symoffset {
		return 0, false
	}
	for n := 0; n < 1<<24; n++ {
		c := chains + (i-symoffset)*4
		if c+4 > uint64(len(b)) {
			return 0, false
		}
		v := le.Uint32(b[c:])
		if v|1 == h|1 && match(i) {
			return i, true
		}
		if v&1 != 0 {
			return 0, false
		}
		i++
	}
	return 0, false
}
