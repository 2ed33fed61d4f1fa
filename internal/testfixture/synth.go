package testfixture

import (
	"encoding/binary"
)

// SynthNote is one ELF note of a synthetic core.
type SynthNote struct {
	Name string
	Type uint32
	Desc []byte
}

// SynthLoad is one PT_LOAD of a synthetic core: Data is what is dumped
// (FileSize), MemSize the mapping's size.
type SynthLoad struct {
	Vaddr, MemSize uint64
	Flags          uint32
	Data           []byte
}

// SynthCore builds an x86-64 ET_CORE image: the ELF header, one PT_NOTE
// holding notes, and the loads, their bytes after the notes. Tests build
// hostile cores with it (corefile's synthCore wraps it). The image is
// allocated once at its final size: the cores of a million mappings are
// hundreds of megabytes, and growing a buffer to that cost more than the
// analysis they test.
func SynthCore(notes []SynthNote, loads []SynthLoad) []byte {
	le := binary.LittleEndian
	align4 := func(n int) int { return (n + 3) &^ 3 }
	notesSize := 0
	for _, n := range notes {
		notesSize += 12 + align4(len(n.Name)+1) + align4(len(n.Desc))
	}
	const ehdrSize, phdrSize = 64, 56
	phnum := 1 + len(loads)
	// PN_XNUM: more than 0xfffe program headers put the count in
	// section header 0's sh_info (gABI; fs/binfmt_elf.c fill_extnum_info).
	xnum := phnum >= 0xffff
	size := ehdrSize + phdrSize*phnum + notesSize
	for _, l := range loads {
		size += len(l.Data)
	}
	if xnum {
		size += 64
	}
	out := make([]byte, size)
	eh := out[:ehdrSize]
	copy(eh, "\x7fELF\x02\x01\x01")
	le.PutUint16(eh[16:], 4)  // ET_CORE
	le.PutUint16(eh[18:], 62) // EM_X86_64
	le.PutUint32(eh[20:], 1)
	le.PutUint64(eh[32:], ehdrSize)
	le.PutUint16(eh[52:], ehdrSize)
	le.PutUint16(eh[54:], phdrSize)
	if xnum {
		le.PutUint16(eh[56:], 0xffff)
		le.PutUint16(eh[58:], 64)
		le.PutUint16(eh[60:], 1)
	} else {
		le.PutUint16(eh[56:], uint16(phnum))
	}
	phs := out[ehdrSize:]
	ph := func(typ, flags uint32, off, vaddr, filesz, memsz uint64) {
		p := phs[:phdrSize]
		phs = phs[phdrSize:]
		le.PutUint32(p[0:], typ)
		le.PutUint32(p[4:], flags)
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], vaddr)
		le.PutUint64(p[32:], filesz)
		le.PutUint64(p[40:], memsz)
		le.PutUint64(p[48:], 4096)
	}
	off := uint64(ehdrSize + phdrSize*phnum)
	ph(4, 0, off, 0, uint64(notesSize), 0) // PT_NOTE
	// The notes: namesz, descsz, type, then the name with its NUL and
	// the descriptor, each padded to 4 bytes (zeros: out is zeroed).
	nb := out[off:]
	for _, n := range notes {
		le.PutUint32(nb[0:], uint32(len(n.Name)+1))
		le.PutUint32(nb[4:], uint32(len(n.Desc)))
		le.PutUint32(nb[8:], n.Type)
		copy(nb[12:], n.Name)
		d := 12 + align4(len(n.Name)+1)
		copy(nb[d:], n.Desc)
		nb = nb[d+align4(len(n.Desc)):]
	}
	off += uint64(notesSize)
	for _, l := range loads {
		ph(1, l.Flags, off, l.Vaddr, uint64(len(l.Data)), l.MemSize) // PT_LOAD
		copy(out[off:], l.Data)
		off += uint64(len(l.Data))
	}
	if xnum {
		le.PutUint64(out[40:], off)               // e_shoff
		le.PutUint32(out[off+44:], uint32(phnum)) // sh_info
	}
	return out
}

// PRStatus is an NT_PRSTATUS descriptor (struct elf_prstatus, 336 bytes
// on x86-64) for thread tid, signal sig, with rip and rsp set.
func PRStatus(tid int, sig uint16, rip, rsp uint64) []byte {
	le := binary.LittleEndian
	b := make([]byte, 336)
	le.PutUint16(b[12:], sig)
	le.PutUint32(b[32:], uint32(tid))
	const regs = 112 // pr_reg, struct user_regs_struct
	le.PutUint64(b[regs+16*8:], rip)
	le.PutUint64(b[regs+19*8:], rsp)
	return b
}

// FileEntry is one NT_FILE entry for FileNote.
type FileEntry struct {
	Start, End, Off uint64 // Off in bytes, a multiple of 4096
	Path            string
}

// FileNote is an NT_FILE descriptor (fs/binfmt_elf.c fill_files_note):
// the count and page size, a (start, end, page offset) triple for each
// entry, then the paths, each ending in NUL.
func FileNote(entries []FileEntry) []byte {
	le := binary.LittleEndian
	size := 16 + 24*len(entries)
	for _, e := range entries {
		size += len(e.Path) + 1
	}
	b := make([]byte, size)
	le.PutUint64(b[0:], uint64(len(entries)))
	le.PutUint64(b[8:], 4096)
	for i, e := range entries {
		t := b[16+24*i:]
		le.PutUint64(t[0:], e.Start)
		le.PutUint64(t[8:], e.End)
		le.PutUint64(t[16:], e.Off/4096)
	}
	p := b[16+24*len(entries):]
	for _, e := range entries {
		n := copy(p, e.Path)
		p = p[n+1:]
	}
	return b
}
