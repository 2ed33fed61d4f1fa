package corefile

import (
	"encoding/binary"
	"fmt"
)

// Image is one ELF object loaded in the process as the auxiliary vector
// and the dynamic linker's list in memory say, without NT_FILE: the
// executable (from AT_PHDR, AT_PHNUM, AT_ENTRY, AT_EXECFN) or one entry of
// the link_map chain. Runtime address = Bias + link-time address.
type Image struct {
	// Name is the path the process knew the object by: AT_EXECFN for the
	// executable (as passed to execve, possibly relative), l_name for a
	// library (as the dynamic linker opened it).
	Name string
	// Bias is l_addr, or for the executable AT_PHDR minus PT_PHDR's
	// p_vaddr; HaveBias is false for an executable without PT_PHDR, whose
	// bias only its file can give (AT_ENTRY minus e_entry).
	Bias     uint64
	HaveBias bool
	// Dynamic is the runtime address of its PT_DYNAMIC (l_ld), 0 if none.
	Dynamic uint64
	// Entry is AT_ENTRY, for the executable.
	Entry uint64
	// Namespace is the link-map namespace (0 for the default one, then
	// one per dlmopen namespace in r_debug_extended's r_next order).
	Namespace int
}

// Images is what a core's memory says about the objects loaded in the
// process: the executable, then the libraries on the dynamic linker's list
// (without the executable's own entry and the vDSO's). Warnings say where
// the walk stopped early.
type Images struct {
	Exe     Image
	HaveExe bool
	// DynSize is the size of the executable's PT_DYNAMIC, Interp whether
	// it has a PT_INTERP (a dynamic linker that should have set DT_DEBUG).
	DynSize  uint64
	Interp   bool
	Libs     []Image
	Warnings []string
}

// AddrReader reads the process's memory at runtime addresses.
type AddrReader interface {
	ReadAt(p []byte, addr uint64) (int, error)
}

// Bounds on what the walk reads, so a corrupt list ends it.
const (
	maxImagePhdrs   = 1024 // program headers of the executable
	maxDynEntries   = 4096 // entries of its PT_DYNAMIC
	maxLinkMaps     = 4096 // link_map entries over all namespaces
	maxNamespaces   = 16   // r_debug_extended chain (glibc's DL_NNS)
	maxLinkNameSize = 4096 // PATH_MAX
)

// ELF program header and dynamic tags used here (gABI).
const (
	ptDynamic = 2
	ptInterp  = 3
	ptPhdr    = 6
	dtNull    = 0
	dtDebug   = 21
)

// ReadImages finds the loaded objects as elfutils' dwfl_core_file_report
// does when a core has no NT_FILE: the executable from the auxiliary
// vector, its load bias from AT_PHDR against its own PT_PHDR (so PIE or
// not); then, from its PT_DYNAMIC, DT_DEBUG's struct r_debug and the
// link_map chain of each namespace (glibc's link.h: r_debug is {int
// r_version; struct link_map *r_map; ElfW(Addr) r_brk; int r_state;
// ElfW(Addr) r_ldbase} and, with r_version >= 2, r_debug_extended's
// r_next at offset 40; link_map starts {ElfW(Addr) l_addr; char *l_name;
// ElfW(Dyn) *l_ld; struct link_map *l_next, *l_prev}). mem should read
// only what the core holds. Every count and pointer is bounded: a cycle or
// an unreadable entry ends the walk with a warning.
func (c *File) ReadImages(mem AddrReader) Images {
	out := c.ReadExecutable(mem)
	if out.Exe.Dynamic != 0 {
		out.Libs, out.Warnings = c.ReadLinkMap(mem, out.Exe.Dynamic, out.DynSize, out.Interp, out.Warnings)
	}
	return out
}

// ReadExecutable is the first half of ReadImages: the executable alone,
// from the auxiliary vector and its program headers in mem.
func (c *File) ReadExecutable(mem AddrReader) Images {
	var out Images
	phdr, okPhdr := c.Aux(AT_PHDR)
	phnum, okPhnum := c.Aux(AT_PHNUM)
	entry, _ := c.Aux(AT_ENTRY)
	if phent, ok := c.Aux(AT_PHENT); ok && phent != 56 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("auxv: AT_PHENT is %d, not 56: the executable's program headers are not read", phent))
		return out
	}
	if !okPhdr || !okPhnum || phnum == 0 || phnum > maxImagePhdrs {
		out.Warnings = append(out.Warnings, fmt.Sprintf("auxv: no usable AT_PHDR/AT_PHNUM (%#x, %d): the executable is not located", phdr, phnum))
		return out
	}
	exe := Image{Entry: entry}
	if fn, ok := c.Aux(AT_EXECFN); ok {
		exe.Name, _ = readCString(mem, fn)
	}
	ph := make([]byte, phnum*56)
	if _, err := mem.ReadAt(ph, phdr); err != nil {
		// Its file's program headers can stand in (ReadLinkMap).
		out.Warnings = append(out.Warnings, fmt.Sprintf("the executable's program headers at %#x are not in the core: %v", phdr, err))
		out.Exe, out.HaveExe = exe, true
		return out
	}
	le := binary.LittleEndian
	var dynVaddr, dynSize uint64
	haveDyn, interp := false, false
	for i := uint64(0); i < phnum; i++ {
		p := ph[i*56:]
		switch le.Uint32(p) {
		case ptPhdr:
			// AT_PHDR is where the kernel mapped the program headers:
			// bias + p_vaddr of PT_PHDR.
			exe.Bias, exe.HaveBias = phdr-le.Uint64(p[16:]), true
		case ptDynamic:
			dynVaddr, dynSize, haveDyn = le.Uint64(p[16:]), le.Uint64(p[40:]), true
		case ptInterp:
			interp = true
		}
	}
	if haveDyn && exe.HaveBias {
		// A static executable has none, and no list to walk.
		exe.Dynamic = exe.Bias + dynVaddr
	}
	out.Exe, out.HaveExe, out.DynSize, out.Interp = exe, true, dynSize, interp
	return out
}

// ReadLinkMap walks the dynamic linker's list from the executable's
// dynamic section at runtime address dynamic (dynSize bytes; interp: the
// executable has a PT_INTERP, so a zero DT_DEBUG is worth a warning),
// appending to warnings. ReadImages calls it with the program headers in
// the core; without them, the executable's file gives dynamic.
func (c *File) ReadLinkMap(mem AddrReader, dynamic, dynSize uint64, interp bool, warnings []string) ([]Image, []string) {
	rdebug, err := findDebug(mem, dynamic, dynSize)
	if err != nil {
		return nil, append(warnings, fmt.Sprintf("the executable's dynamic section at %#x: %v; no libraries are located", dynamic, err))
	}
	if rdebug == 0 {
		if interp {
			warnings = append(warnings, "the executable's DT_DEBUG is 0 (the dynamic linker had not set it up): no libraries are located")
		}
		return nil, warnings
	}
	return walkLinkMaps(mem, rdebug, dynamic, c.vdsoRange(), warnings)
}

// findDebug returns DT_DEBUG's value from the dynamic section at addr.
func findDebug(mem AddrReader, addr, size uint64) (uint64, error) {
	n := min(size/16, maxDynEntries)
	if n == 0 {
		n = maxDynEntries
	}
	var e [16]byte
	for i := uint64(0); i < n; i++ {
		if _, err := mem.ReadAt(e[:], addr+i*16); err != nil {
			return 0, fmt.Errorf("entry %d not in the core: %w", i, err)
		}
		switch binary.LittleEndian.Uint64(e[:]) {
		case dtNull:
			return 0, nil
		case dtDebug:
			return binary.LittleEndian.Uint64(e[8:]), nil
		}
	}
	return 0, nil
}

// vdsoRange returns the mapping holding AT_SYSINFO_EHDR, whose link_map
// entry ("linux-vdso.so.1") names no file.
func (c *File) vdsoRange() [2]uint64 {
	if v, ok := c.Aux(AT_SYSINFO_EHDR); ok {
		if m := c.Mapping(v); m != nil {
			return [2]uint64{m.Start, m.End}
		}
	}
	return [2]uint64{}
}

// walkLinkMaps follows r_debug (and r_debug_extended's r_next) at rdebug
// and each namespace's l_next chain, keeping the entries that name a file:
// not the executable's own (l_ld is its PT_DYNAMIC, or l_name is empty)
// and not the vDSO's (l_ld in vdso).
func walkLinkMaps(mem AddrReader, rdebug, exeDynamic uint64, vdso [2]uint64, warnings []string) ([]Image, []string) {
	le := binary.LittleEndian
	var libs []Image
	seenDebug := map[uint64]bool{}
	seenMap := map[uint64]bool{}
	for ns := 0; rdebug != 0; ns++ {
		if ns >= maxNamespaces {
			warnings = append(warnings, fmt.Sprintf("link map: more than %d namespaces; the rest are not read", maxNamespaces))
			break
		}
		if seenDebug[rdebug] {
			warnings = append(warnings, fmt.Sprintf("link map: r_debug chain loops back to %#x; walk ended", rdebug))
			break
		}
		seenDebug[rdebug] = true
		var rd [48]byte
		n, _ := mem.ReadAt(rd[:], rdebug)
		if n < 16 {
			warnings = append(warnings, fmt.Sprintf("link map: struct r_debug at %#x is not in the core; walk ended", rdebug))
			break
		}
		version := int32(le.Uint32(rd[:]))
		l := le.Uint64(rd[8:])
		var next uint64
		if version >= 2 && n >= 48 {
			next = le.Uint64(rd[40:])
		}
		for count := 0; l != 0; count++ {
			if len(seenMap) >= maxLinkMaps {
				warnings = append(warnings, fmt.Sprintf("link map: more than %d entries; the rest are not read", maxLinkMaps))
				return libs, warnings
			}
			if seenMap[l] {
				warnings = append(warnings, fmt.Sprintf("link map: namespace %d's list loops back to %#x after %d entries; walk ended", ns, l, count))
				break
			}
			seenMap[l] = true
			var lm [40]byte
			at := l
			if _, err := mem.ReadAt(lm[:], at); err != nil {
				warnings = append(warnings, fmt.Sprintf("link map: namespace %d's entry %d at %#x is not in the core; the list is cut there", ns, count, l))
				break
			}
			img := Image{Bias: le.Uint64(lm[0:]), HaveBias: true, Dynamic: le.Uint64(lm[16:]), Namespace: ns}
			l = le.Uint64(lm[24:])
			if img.Dynamic == exeDynamic || img.Dynamic >= vdso[0] && img.Dynamic < vdso[1] {
				// The executable's own entry, and the vDSO's, whose
				// name (musl's) may live in a library's undumped
				// rodata.
				continue
			}
			name, err := readCString(mem, le.Uint64(lm[8:]))
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("link map: the name of entry %d at %#x (l_addr %#x): %v", count, at, img.Bias, err))
			}
			img.Name = name
			if name != "" {
				libs = append(libs, img)
			}
		}
		rdebug = next
	}
	return libs, warnings
}

// readCString reads a NUL-terminated string at addr, at most
// maxLinkNameSize bytes.
func readCString(mem AddrReader, addr uint64) (string, error) {
	if addr == 0 {
		return "", nil
	}
	var out []byte
	var chunk [256]byte
	for len(out) < maxLinkNameSize {
		// A short read ends at a mapping's end; the next read says
		// whether the string goes on.
		n, _ := mem.ReadAt(chunk[:], addr+uint64(len(out)))
		if n == 0 {
			return string(out), fmt.Errorf("string at %#x is not in the core", addr)
		}
		for i := 0; i < n; i++ {
			if chunk[i] == 0 {
				return string(append(out, chunk[:i]...)), nil
			}
		}
		out = append(out, chunk[:n]...)
	}
	return string(out), fmt.Errorf("string at %#x is longer than %d bytes", addr, maxLinkNameSize)
}

// InferFiles records file mappings that no NT_FILE note gave (a core
// written without one, its libraries found by ReadImages): each mapping
// starting inside an entry's range gets its path and file offset, as
// attachFiles does for NT_FILE, and Inferred keeps the entries.
func (c *File) InferFiles(entries []FileEntry) {
	for i := range entries {
		fe := &entries[i]
		for _, m := range c.mappingsIn(fe.Start, fe.End) {
			if m.File != "" {
				continue
			}
			m.File = fe.Path
			m.FileOff = fe.Off + (m.Start - fe.Start)
		}
	}
	c.Inferred = append(c.Inferred, entries...)
}
