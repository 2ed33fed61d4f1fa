package symbolize

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"sort"
)

// layoutMismatch compares what a core without build-ids and ELF header
// pages still says about a module, the file-backed mappings NT_FILE lists
// (address range, permissions, file offset), with the PT_LOAD segments of a
// candidate file, and returns why they disagree, or "".
//
// A PT_LOAD maps file bytes [p_offset, p_offset+p_filesz) at p_vaddr+bias,
// in whole pages: the kernel's elf_map and ld.so's _dl_map_segments map
// file offsets [pagedown(p_offset), pageup(p_offset+p_filesz)) at link-time
// addresses [pagedown(p_vaddr), pageup(p_vaddr+p_filesz)); the rest of
// p_memsz (.bss) is anonymous memory, which NT_FILE does not list. So each
// mapping, at link-time address start-bias, must lie inside one segment's
// page-rounded range at the offset that address implies, with at most the
// segment's permissions (RELRO and mprotect only take permissions away) and
// the same execute bit; every such range must be covered by mappings; and
// no mapping may reach past the file's last page. PROT_NONE mappings are
// skipped: ld.so reserves a library's whole span from one mapping of the
// file and turns the holes between segments into PROT_NONE. checked is
// false when there was nothing to compare: no mapping with permissions.
func layoutMismatch(progs []elf.ProgHeader, f io.ReaderAt, rs []Region, pageSize uint64) (why string, checked bool) {
	down := func(v uint64) uint64 { return v &^ (pageSize - 1) }
	up := func(v uint64) uint64 { return (v + pageSize - 1) &^ (pageSize - 1) }
	var loads []elf.ProgHeader
	for _, p := range progs {
		if p.Type == elf.PT_LOAD && p.Filesz > 0 {
			loads = append(loads, p)
		}
	}
	var mapped []Region
	for _, r := range rs {
		if r.Perm != 0 {
			mapped = append(mapped, r)
		}
	}
	if len(mapped) == 0 {
		return "", false
	}
	if st, ok := f.(interface{ Stat() (os.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil {
			for _, r := range mapped {
				if end := r.Off + (r.End - r.Start); end > up(uint64(fi.Size())) {
					return fmt.Sprintf("the process mapped file offsets up to %#x, the file has only %d bytes", end, fi.Size()), true
				}
			}
		}
	}
	// Each mapping whose offset starts a segment gives a candidate bias
	// (loadBias); the mapping it came from may be a plain mmap of the file
	// rather than part of the loaded image, so every candidate is tried.
	first := ""
	tried := map[uint64]bool{}
	for _, r := range mapped {
		bias, err := loadBias(loads, r.Start, r.Off, pageSize)
		if err != nil || tried[bias] {
			continue
		}
		tried[bias] = true
		why := layoutWithBias(loads, mapped, bias, down, up, true)
		if why == "" {
			return "", true
		}
		if first == "" {
			first = why
		}
	}
	if first == "" {
		return fmt.Sprintf("none of its PT_LOAD segments starts at the file offsets the process mapped (%s)", describeRegions(mapped)), true
	}
	return first, true
}

// layoutWithBias checks the mappings against the segments loaded at bias.
// Mappings outside the loaded image's span are other mappings of the same
// file (Rust's std maps its own executable to read its debug information
// for a backtrace) and are not part of the comparison. Without cover, the
// segments need not all be mapped (a core that lost some of its PT_LOADs).
func layoutWithBias(loads []elf.ProgHeader, mapped []Region, bias uint64, down, up func(uint64) uint64, cover bool) string {
	lo, hi := ^uint64(0), uint64(0)
	for _, p := range loads {
		lo, hi = min(lo, down(p.Vaddr)), max(hi, up(p.Vaddr+p.Memsz))
	}
	for _, r := range mapped {
		start, end := r.Start-bias, r.End-bias
		if end <= lo || start >= hi {
			continue
		}
		ok := false
		for _, p := range loads {
			vlo, vhi := down(p.Vaddr), up(p.Vaddr+p.Filesz)
			// The link-time address vlo+k holds file offset
			// pagedown(p_offset)+k.
			if start < vlo || end > vhi || r.Off != down(p.Off)+(start-vlo) {
				continue
			}
			if r.Perm&^p.Flags != 0 || r.Perm&elf.PF_X != p.Flags&elf.PF_X {
				continue
			}
			ok = true
			break
		}
		if !ok {
			return fmt.Sprintf("its mapping %#x-%#x %s at file offset %#x fits none of the file's PT_LOAD segments", r.Start, r.End, permString(r.Perm), r.Off)
		}
	}
	for _, p := range loads {
		vlo, vhi := down(p.Vaddr), up(p.Vaddr+p.Filesz)
		if cover && !covered(mapped, vlo+bias, vhi+bias) {
			return fmt.Sprintf("its PT_LOAD segment at file offset %#x (%d bytes, %s) is not mapped whole at %#x-%#x", p.Off, p.Filesz, permString(p.Flags), vlo+bias, vhi+bias)
		}
	}
	return ""
}

// covered reports whether the regions together cover [start, end).
func covered(rs []Region, start, end uint64) bool {
	for start < end {
		next := start
		for _, r := range rs {
			if r.Start <= start && r.End > start {
				next = r.End
				break
			}
		}
		if next == start {
			return false
		}
		start = next
	}
	return true
}

func permString(p elf.ProgFlag) string {
	b := []byte("---")
	if p&elf.PF_R != 0 {
		b[0] = 'r'
	}
	if p&elf.PF_W != 0 {
		b[1] = 'w'
	}
	if p&elf.PF_X != 0 {
		b[2] = 'x'
	}
	return string(b)
}

func describeRegions(rs []Region) string {
	s := ""
	for i, r := range rs {
		if i == 4 {
			return s + ", …"
		}
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%#x", r.Off)
	}
	return s
}

// splitLoads divides the mappings of one file into its loads: for each bias
// that a mapping starting a PT_LOAD segment gives (loadBias) and under which
// the mappings in the image's span fit the segments and cover them all
// (layoutWithBias), the mappings in that span, PROT_NONE holes included, are
// one load. Mappings in no load are other mappings of the file (a program
// reading its own executable or libc.so.6 with mmap, a JIT mapping a file):
// data, not code the loader placed. Loads are returned in address order;
// none when no bias fits (the file is not the one mapped), for the caller
// to fall back on splitByOffsets. When the core lost some of a load's
// mappings (a gcore core without its text PT_LOADs, a truncated one), no
// bias covers every segment: then a bias under which the mappings fit is
// enough.
func splitLoads(progs []elf.ProgHeader, rs []Region, pageSize uint64) [][]Region {
	if out := splitLoadsCover(progs, rs, pageSize, true); len(out) > 0 {
		return out
	}
	return splitLoadsCover(progs, rs, pageSize, false)
}

func splitLoadsCover(progs []elf.ProgHeader, rs []Region, pageSize uint64, cover bool) [][]Region {
	down := func(v uint64) uint64 { return v &^ (pageSize - 1) }
	up := func(v uint64) uint64 { return (v + pageSize - 1) &^ (pageSize - 1) }
	var loads []elf.ProgHeader
	lo, hi := ^uint64(0), uint64(0)
	for _, p := range progs {
		if p.Type == elf.PT_LOAD && p.Filesz > 0 {
			loads = append(loads, p)
		}
		if p.Type == elf.PT_LOAD {
			lo, hi = min(lo, down(p.Vaddr)), max(hi, up(p.Vaddr+p.Memsz))
		}
	}
	var mapped []Region
	for _, r := range rs {
		if r.Perm != 0 {
			mapped = append(mapped, r)
		}
	}
	if len(loads) == 0 || len(mapped) == 0 {
		return nil
	}
	var out [][]Region
	tried := map[uint64]bool{}
	for _, r := range mapped {
		bias, err := loadBias(loads, r.Start, r.Off, pageSize)
		if err != nil || tried[bias] {
			continue
		}
		tried[bias] = true
		if layoutWithBias(loads, mapped, bias, down, up, cover) != "" {
			continue
		}
		var ld []Region
		for _, q := range rs {
			if q.End > lo+bias && q.Start < hi+bias {
				ld = append(ld, q)
			}
		}
		out = append(out, ld)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0].Start < out[j][0].Start })
	return out
}

// splitByOffsets divides the mappings of one file into loads without the
// file's program headers (it is missing, or is not the file mapped): in
// address order, a load's file offsets do not go down from mapping to
// mapping (RELRO splits one page range in two at one offset), so a mapping
// at offset 0 or below the previous one's starts another. A load with an executable mapping is code; the others are data
// mappings of the file, unless no load is executable (a core whose text
// mappings were lost), when every load is kept.
func splitByOffsets(rs []Region) [][]Region {
	sorted := append([]Region(nil), rs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
	var groups [][]Region
	for i, r := range sorted {
		if i == 0 || r.Off == 0 || r.Off < sorted[i-1].Off {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], r)
	}
	var code [][]Region
	for _, g := range groups {
		for _, r := range g {
			if r.Perm&elf.PF_X != 0 {
				code = append(code, g)
				break
			}
		}
	}
	if len(code) == 0 {
		return groups
	}
	return code
}
