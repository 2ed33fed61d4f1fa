package corefile

import (
	"debug/elf"
	"encoding/binary"
	"io"
	"sort"
)

// A core need not have a PT_LOAD for every mapping of the process. The
// kernel writes one for every VMA (with p_filesz 0 when it dumps none of
// its bytes), but gdb's gcore leaves out the file mappings it did not see
// modified, the read-only text and rodata of every module
// (linux_find_memory_regions_full and dump_mapping_p in gdb/linux-tdep.c
// follow coredump_filter, whose default dumps no unmodified private file
// mapping), while its NT_FILE still lists them. Those mappings are part of
// the address space all the same: their bytes are the file's, as for any
// undumped text, and their permissions are those of the file's PT_LOAD
// segment that maps them.

// Limits on the ELF headers read to find an undumped mapping's permissions.
const (
	maxModulePhdrs = 256 // e_phnum of a module whose segments are consulted
	elfPhdrSize    = 56  // sizeof(Elf64_Phdr)
)

// addUndumped adds a Mapping for every part of an NT_FILE entry that no
// PT_LOAD covers, with its permissions from the module's ELF program
// headers as the core holds them (undumpedPerm).
func (c *File) addUndumped() {
	// The entries in address order, each cut to what no earlier one
	// claimed (a hostile core's entries may overlap; the first claim to
	// an address wins, as for overlapping PT_LOADs): the walks over the
	// PT_LOADs then cover disjoint ranges, and each PT_LOAD is visited
	// about once however the entries overlap.
	files := append([]FileEntry(nil), c.Files...)
	sort.SliceStable(files, func(i, j int) bool { return files[i].Start < files[j].Start })
	var add []*Mapping
	var claimed uint64
	for _, fe := range files {
		at := max(fe.Start, claimed)
		if fe.End <= at {
			continue
		}
		claimed = fe.End
		i := sort.Search(len(c.Mappings), func(i int) bool { return c.Mappings[i].End > at })
		for ; i < len(c.Mappings) && c.Mappings[i].Start < fe.End; i++ {
			m := c.Mappings[i]
			if m.Start > at {
				add = append(add, &Mapping{Start: at, End: m.Start, File: fe.Path, FileOff: fe.Off + (at - fe.Start), Undumped: true})
			}
			at = max(at, m.End)
		}
		if at < fe.End {
			add = append(add, &Mapping{Start: at, End: fe.End, File: fe.Path, FileOff: fe.Off + (at - fe.Start), Undumped: true})
		}
	}
	if len(add) == 0 {
		return
	}
	kept := add
	pageSize := uint64(4096)
	if v, ok := c.Aux(AT_PAGESZ); ok && v >= 4096 && v&(v-1) == 0 && v <= 1<<30 {
		pageSize = v
	}
	// Each file's dumped offset-0 mappings, in address order (c.Mappings
	// is sorted): the ELF header pages a mapping's permissions come from.
	hdrs := map[string][]*Mapping{}
	for _, h := range c.Mappings {
		if h.File != "" && h.FileOff == 0 {
			hdrs[h.File] = append(hdrs[h.File], h)
		}
	}
	phdrs := map[*Mapping][]elf.ProgHeader{}
	dumped := c.Memory(nil)
	for _, m := range kept {
		m.Perm, m.PermKnown = undumpedPerm(dumped, m, hdrs[m.File], phdrs, pageSize)
		if !m.PermKnown {
			// A file mapping the process could read, as far as the
			// core says; Memory.Executable asks the file itself.
			m.Perm = PermR
		}
	}
	c.Mappings = append(c.Mappings, kept...)
	sort.SliceStable(c.Mappings, func(i, j int) bool { return c.Mappings[i].Start < c.Mappings[j].Start })
}

// undumpedPerm finds the permissions of an undumped file mapping from the
// ELF program headers of its module, read from the core's bytes of the
// module's offset-0 mapping (the ELF header page, which the kernel and gdb
// both dump by default: coredump_filter bit 4). The module's load bias is
// fixed by that mapping: a PT_LOAD with p_offset 0 maps file offset 0 at
// pagedown(p_vaddr)+bias, so bias = hdr.Start - pagedown(p_vaddr). The
// mapping at link-time address a = Start-bias must then lie in a segment's
// page-rounded range [pagedown(p_vaddr), pageup(p_vaddr+p_memsz)) at the
// file offset that address implies, pagedown(p_offset)+(a-pagedown(p_vaddr));
// an address inside the image's span but in no segment is one of the
// PROT_NONE holes ld.so leaves between segments. ok is false when the
// headers cannot be read or do not place the mapping.
//
// hdrs are the file's offset-0 mappings in address order; the nearest one
// below m is its module's. phdrs caches each header's program headers (nil
// when unreadable), so a core of many mappings reads each header once.
func undumpedPerm(dumped *Memory, m *Mapping, hdrs []*Mapping, phdrs map[*Mapping][]elf.ProgHeader, pageSize uint64) (perm Perm, ok bool) {
	i := sort.Search(len(hdrs), func(i int) bool { return hdrs[i].Start > m.Start })
	if i == 0 {
		return 0, false
	}
	hdr := hdrs[i-1]
	progs, seen := phdrs[hdr]
	if !seen {
		progs, _ = readPhdrs(dumped, hdr.Start)
		phdrs[hdr] = progs
	}
	if progs == nil {
		return 0, false
	}
	down := func(v uint64) uint64 { return v &^ (pageSize - 1) }
	up := func(v uint64) uint64 { return (v + pageSize - 1) &^ (pageSize - 1) }
	var bias uint64
	found := false
	lo, hi := ^uint64(0), uint64(0)
	for _, p := range progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		if !found && down(p.Off) == 0 {
			bias, found = hdr.Start-down(p.Vaddr), true
		}
		lo, hi = min(lo, down(p.Vaddr)), max(hi, up(p.Vaddr+p.Memsz))
	}
	if !found {
		return 0, false
	}
	start, end := m.Start-bias, m.End-bias
	for _, p := range progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		vlo, vhi := down(p.Vaddr), up(p.Vaddr+p.Memsz)
		if start >= vlo && end <= vhi && m.FileOff == down(p.Off)+(start-vlo) {
			return Perm(p.Flags & 7), true
		}
	}
	if start >= lo && end <= hi {
		return 0, true
	}
	return 0, false
}

// readPhdrs reads the PT_LOAD-bearing program headers of the ELF image
// whose header is at addr in r, refusing headers that are not a 64-bit
// little-endian ELF or claim more than maxModulePhdrs entries.
func readPhdrs(r *Memory, addr uint64) ([]elf.ProgHeader, bool) {
	var eh [ehdrSize]byte
	if n, _ := r.ReadAt(eh[:], addr); n < len(eh) || string(eh[:4]) != elf.ELFMAG || eh[4] != elfClass64 || eh[5] != elfData2LSB {
		return nil, false
	}
	le := binary.LittleEndian
	phoff, phentsize, phnum := le.Uint64(eh[32:]), le.Uint16(eh[54:]), le.Uint16(eh[56:])
	if phentsize != elfPhdrSize || phnum == 0 || phnum > maxModulePhdrs || phoff > 1<<20 {
		return nil, false
	}
	buf := make([]byte, int(phnum)*elfPhdrSize)
	if n, _ := r.ReadAt(buf, addr+phoff); n < len(buf) {
		return nil, false
	}
	progs := make([]elf.ProgHeader, phnum)
	for i := range progs {
		p := buf[i*elfPhdrSize:]
		progs[i] = elf.ProgHeader{
			Type:   elf.ProgType(le.Uint32(p[0:])),
			Flags:  elf.ProgFlag(le.Uint32(p[4:])),
			Off:    le.Uint64(p[8:]),
			Vaddr:  le.Uint64(p[16:]),
			Filesz: le.Uint64(p[32:]),
			Memsz:  le.Uint64(p[40:]),
		}
	}
	return progs, true
}

// fileExecutable reports whether an undumped mapping whose permissions the
// core could not tell is executable, from the program headers of the file
// that backs it: the segment whose page-rounded file range holds the
// mapping's offset.
func (m *Memory) fileExecutable(mp *Mapping) bool {
	b := m.backing(mp.File)
	if b.err != nil {
		return false
	}
	f, err := elf.NewFile(io.NewSectionReader(b.r, 0, b.size))
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Align == 0 || p.Align&(p.Align-1) != 0 {
			continue
		}
		lo := p.Off &^ (p.Align - 1)
		if mp.FileOff >= lo && mp.FileOff < p.Off+p.Filesz {
			return p.Flags&elf.PF_X != 0
		}
	}
	return false
}
