package testfixture

import (
	"bytes"
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
// hostile cores with it (corefile's synthCore wraps it).
func SynthCore(notes []SynthNote, loads []SynthLoad) []byte {
	le := binary.LittleEndian
	var nb bytes.Buffer
	for _, n := range notes {
		var h [12]byte
		le.PutUint32(h[0:], uint32(len(n.Name)+1))
		le.PutUint32(h[4:], uint32(len(n.Desc)))
		le.PutUint32(h[8:], n.Type)
		nb.Write(h[:])
		nb.WriteString(n.Name)
		nb.WriteByte(0)
		for nb.Len()%4 != 0 {
			nb.WriteByte(0)
		}
		nb.Write(n.Desc)
		for nb.Len()%4 != 0 {
			nb.WriteByte(0)
		}
	}
	const ehdrSize, phdrSize = 64, 56
	phnum := 1 + len(loads)
	off := uint64(ehdrSize + phdrSize*phnum)
	var out bytes.Buffer
	eh := make([]byte, ehdrSize)
	copy(eh, "\x7fELF\x02\x01\x01")
	le.PutUint16(eh[16:], 4)  // ET_CORE
	le.PutUint16(eh[18:], 62) // EM_X86_64
	le.PutUint32(eh[20:], 1)
	le.PutUint64(eh[32:], ehdrSize)
	le.PutUint16(eh[52:], ehdrSize)
	le.PutUint16(eh[54:], phdrSize)
	// PN_XNUM: more than 0xfffe program headers put the count in
	// section header 0's sh_info (gABI; fs/binfmt_elf.c fill_extnum_info).
	xnum := phnum >= 0xffff
	if xnum {
		le.PutUint16(eh[56:], 0xffff)
		le.PutUint16(eh[58:], 64)
		le.PutUint16(eh[60:], 1)
	} else {
		le.PutUint16(eh[56:], uint16(phnum))
	}
	out.Write(eh)
	ph := func(typ, flags uint32, off, vaddr, filesz, memsz uint64) {
		p := make([]byte, phdrSize)
		le.PutUint32(p[0:], typ)
		le.PutUint32(p[4:], flags)
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], vaddr)
		le.PutUint64(p[32:], filesz)
		le.PutUint64(p[40:], memsz)
		le.PutUint64(p[48:], 4096)
		out.Write(p)
	}
	ph(4, 0, off, 0, uint64(nb.Len()), 0) // PT_NOTE
	off += uint64(nb.Len())
	for _, l := range loads {
		ph(1, l.Flags, off, l.Vaddr, uint64(len(l.Data)), l.MemSize) // PT_LOAD
		off += uint64(len(l.Data))
	}
	out.Write(nb.Bytes())
	for _, l := range loads {
		out.Write(l.Data)
	}
	if xnum {
		b := out.Bytes()
		le.PutUint64(b[40:], uint64(len(b))) // e_shoff
		var sh [64]byte
		le.PutUint32(sh[44:], uint32(phnum)) // sh_info
		out.Write(sh[:])
	}
	return out.Bytes()
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

// FileNote is an NT_FILE descriptor (fs/binfmt_elf.c fill_files_note).
func FileNote(entries []FileEntry) []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	w := func(v uint64) {
		var x [8]byte
		le.PutUint64(x[:], v)
		b.Write(x[:])
	}
	w(uint64(len(entries)))
	w(4096)
	for _, e := range entries {
		w(e.Start)
		w(e.End)
		w(e.Off / 4096)
	}
	for _, e := range entries {
		b.WriteString(e.Path)
		b.WriteByte(0)
	}
	return b.Bytes()
}
