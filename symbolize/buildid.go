package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"io"
)

// ntGNUBuildID is NT_GNU_BUILD_ID, the note type of a "GNU" build-id note.
const ntGNUBuildID = 3

// fileBuildID returns the hex build-id from the PT_NOTE segments of f.
func fileBuildID(f *elf.File) string {
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE || p.Filesz > 1<<20 {
			continue
		}
		buf := make([]byte, p.Filesz)
		if _, err := p.ReadAt(buf, 0); err != nil && err != io.EOF {
			continue
		}
		if id := noteBuildID(buf); id != "" {
			return id
		}
	}
	return ""
}

// noteBuildID finds a GNU build-id note in the bytes of a note segment
// (gABI note layout: namesz, descsz, type, name and descriptor padded to 4).
func noteBuildID(b []byte) string {
	le := binary.LittleEndian
	for off := uint64(0); off+12 <= uint64(len(b)); {
		namesz, descsz, typ := uint64(le.Uint32(b[off:])), uint64(le.Uint32(b[off+4:])), le.Uint32(b[off+8:])
		name := off + 12
		desc := name + (namesz+3)&^3
		end := desc + (descsz+3)&^3
		if desc+descsz > uint64(len(b)) || desc < name {
			return ""
		}
		if typ == ntGNUBuildID && bytes.Equal(bytes.TrimRight(b[name:name+namesz], "\x00"), []byte("GNU")) {
			return hex.EncodeToString(b[desc : desc+descsz])
		}
		off = end
	}
	return ""
}

// Memory reads runtime addresses of the process.
type Memory interface {
	ReadAt(p []byte, addr uint64) (int, error)
}

// memoryBuildID reads the build-id of the ELF object mapped at base from the
// ELF header page the kernel dumps into cores (coredump_filter bit 4): the
// ELF header, the program headers, then the PT_NOTE segment at
// p_vaddr+bias, where bias = base - pagedown(vaddr of the first PT_LOAD).
// mem must hold only bytes from the core, so the answer is the process's
// and not the file's on disk.
func memoryBuildID(mem Memory, base uint64) string {
	var eh [64]byte
	if _, err := mem.ReadAt(eh[:], base); err != nil || string(eh[:4]) != "\x7fELF" {
		return ""
	}
	le := binary.LittleEndian
	phoff, phentsize, phnum := le.Uint64(eh[32:]), uint64(le.Uint16(eh[54:])), uint64(le.Uint16(eh[56:]))
	if phentsize != 56 || phnum == 0 || phnum > maxIdentityPhdrs || phoff > 1<<16 {
		return ""
	}
	ph := make([]byte, phnum*56)
	if _, err := mem.ReadAt(ph, base+phoff); err != nil {
		return ""
	}
	bias, haveBias := uint64(0), false
	for i := uint64(0); i < phnum; i++ {
		p := ph[i*56:]
		if elf.ProgType(le.Uint32(p)) == elf.PT_LOAD {
			bias, haveBias = base-le.Uint64(p[16:])&^0xfff, true
			break
		}
	}
	if !haveBias {
		return ""
	}
	for i := uint64(0); i < phnum; i++ {
		p := ph[i*56:]
		if elf.ProgType(le.Uint32(p)) != elf.PT_NOTE {
			continue
		}
		vaddr, filesz := le.Uint64(p[16:]), le.Uint64(p[32:])
		if filesz > 1<<16 {
			continue
		}
		buf := make([]byte, filesz)
		if _, err := mem.ReadAt(buf, vaddr+bias); err != nil {
			continue
		}
		if id := noteBuildID(buf); id != "" {
			return id
		}
	}
	return ""
}
