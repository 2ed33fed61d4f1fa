package symbolize

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/coreview/coreview/internal/safefile"
)

// Object is a loaded ELF object that a core names without NT_FILE: the
// executable from the auxiliary vector, or a library from the dynamic
// linker's list.
type Object struct {
	// Path is how the process knew it (AT_EXECFN, l_name).
	Path string
	// Exe is set for the executable: its candidates start with
	// Options.Binary, and without HaveBias its bias is Entry (AT_ENTRY)
	// minus the file's e_entry.
	Exe   bool
	Entry uint64
	// Bias is l_addr (runtime minus link-time address), if HaveBias.
	Bias     uint64
	HaveBias bool
	// Dynamic is the runtime address of its PT_DYNAMIC (l_ld), 0 if
	// unknown: a candidate file must put its PT_DYNAMIC there.
	Dynamic uint64
	// Header is where its ELF header page is expected in memory, 0 if
	// unknown; the build-id read there picks files by build-id and must
	// equal the file's.
	Header uint64
}

// Located is the file found for an Object and the file mappings NT_FILE
// would have listed for it: one per PT_LOAD with file bytes, the pages
// [pagedown(p_vaddr), pageup(p_vaddr+p_filesz)) at Bias mapping file
// offsets from pagedown(p_offset) (as the kernel's elf_map and ld.so's
// _dl_map_segments map them).
type Located struct {
	// File is the file found; Path is the name NT_FILE would have given
	// it: the file's real path (the kernel's d_path resolves symlinks such
	// as /lib -> usr/lib) when it was found where the process named it,
	// else obj.Path.
	File    string
	Path    string
	Bias    uint64
	Regions []Region
	// Dynamic and DynamicSize place its PT_DYNAMIC at runtime (0 if it
	// has none); Interp says it has a PT_INTERP.
	Dynamic, DynamicSize uint64
	Interp               bool
}

// Locate finds the file of obj the way Load finds a module's (candidates:
// --binary for the executable, the search paths by build-id and name, the
// path under the sysroot, the directory of --binary) and returns its
// mappings. A candidate is taken only if it is consistent with what the
// core says: its PT_DYNAMIC at obj.Dynamic, its build-id the one in the
// core's header page, if those are known.
func Locate(obj Object, opts Options) (Located, error) {
	if opts.PageSize == 0 {
		opts.PageSize = 4096
	}
	t := newTable(opts)
	defer t.Close()
	m := &Module{Path: obj.Path}
	if obj.Header != 0 && opts.Dumped != nil {
		m.CoreBuildID = memoryBuildID(opts.Dumped, obj.Header)
	}
	if obj.Exe {
		opts.ExePath = obj.Path
	}
	var tried, refused []string
	for _, cand := range t.candidates(m, opts) {
		tried = append(tried, cand)
		f, err := t.finder.open(cand)
		if err != nil {
			continue
		}
		ef, err := elf.NewFile(f)
		if err != nil {
			f.Close()
			continue
		}
		loc, why := fitObject(obj, m.CoreBuildID, ef, opts)
		if why != "" {
			f.Close()
			refused = append(refused, fmt.Sprintf("%s (%s)", cand, why))
			continue
		}
		loc.File, loc.Path = cand, processPath(obj.Path, cand, f, t.finder.root, opts)
		f.Close()
		for i := range loc.Regions {
			loc.Regions[i].Path = loc.Path
		}
		return loc, nil
	}
	msg := fmt.Sprintf("file not found (tried %s)", strings.Join(tried, ", "))
	if len(refused) > 0 {
		msg += "; refused " + strings.Join(refused, ", ")
	}
	return Located{}, fmt.Errorf("%s: %s", obj.Path, msg)
}

// fitObject checks a candidate file against obj and builds its mappings,
// or says why the file is not the object.
func fitObject(obj Object, coreID string, ef *elf.File, opts Options) (Located, string) {
	bias := obj.Bias
	if !obj.HaveBias {
		if !obj.Exe || obj.Entry == 0 {
			return Located{}, "no load bias"
		}
		// AT_ENTRY is e_entry + bias.
		bias = obj.Entry - ef.Entry
	}
	if ef.Type == elf.ET_EXEC && bias != 0 {
		return Located{}, fmt.Sprintf("an ET_EXEC file cannot be loaded with bias %#x", bias)
	}
	if id := fileBuildID(ef); coreID != "" && id != coreID {
		return Located{}, fmt.Sprintf("build-id %s, the core's is %s", nameOrNone(id), coreID)
	}
	if obj.Dynamic != 0 {
		at := uint64(0)
		for _, p := range ef.Progs {
			if p.Type == elf.PT_DYNAMIC {
				at = bias + p.Vaddr
			}
		}
		if at != obj.Dynamic {
			return Located{}, fmt.Sprintf("its PT_DYNAMIC would be at %#x, the core's is at %#x", at, obj.Dynamic)
		}
	}
	down := func(v uint64) uint64 { return v &^ (opts.PageSize - 1) }
	up := func(v uint64) uint64 { return (v + opts.PageSize - 1) &^ (opts.PageSize - 1) }
	loc := Located{Bias: bias}
	for _, p := range ef.Progs {
		switch p.Type {
		case elf.PT_DYNAMIC:
			loc.Dynamic, loc.DynamicSize = bias+p.Vaddr, p.Memsz
		case elf.PT_INTERP:
			loc.Interp = true
		}
	}
	for _, p := range ef.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		loc.Regions = append(loc.Regions, Region{Start: bias + down(p.Vaddr), End: bias + up(p.Vaddr+p.Filesz),
			Off: down(p.Off), Path: obj.Path, Perm: p.Flags})
	}
	if len(loc.Regions) == 0 {
		return Located{}, "no PT_LOAD with file bytes"
	}
	return loc, ""
}

// processPath returns the path the process had its file at, resolved as
// the kernel resolves NT_FILE's paths, if the file f was found where the
// process named it (name itself, or under the sysroot); else name
// unchanged. The descriptor says where the open, confined to root, led.
func processPath(name, cand string, f *os.File, root *safefile.Root, opts Options) string {
	if !filepath.IsAbs(name) {
		return name
	}
	real, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil || !filepath.IsAbs(real) {
		return name
	}
	if opts.Sysroot == "" {
		if cand != name {
			return name
		}
		return real
	}
	if root == nil || cand != filepath.Join(opts.Sysroot, filepath.Clean("/"+name)) {
		return name
	}
	rootReal, err := filepath.EvalSymlinks(root.Dir())
	if err != nil {
		return name
	}
	rel, err := filepath.Rel(rootReal, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return name
	}
	return "/" + filepath.ToSlash(rel)
}

func nameOrNone(id string) string {
	if id == "" {
		return "none"
	}
	return id
}
