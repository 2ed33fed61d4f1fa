package corefile

import "fmt"

// A truncated core (RLIMIT_CORE, a full disk, an interrupted copy) keeps
// its headers and notes, which the kernel writes first, and loses the
// PT_LOAD bytes from some offset on (fs/binfmt_elf.c elf_core_dump writes
// the segments in program header order after the notes). The mappings whose
// bytes lie past that offset are cut: this file finds them and says so.

// maxCutWarnings bounds the per-mapping warnings of a truncated core: a core
// cut early can lose hundreds of mappings, and the first ones say where.
const maxCutWarnings = 10

// markCut sets Truncated and CutAt on every mapping whose dumped bytes
// [Off, Off+FileSize) run past the end of the core file.
func (c *File) markCut() {
	size := uint64(c.size)
	for _, m := range c.Mappings {
		m.Truncated, m.CutAt = false, 0
		if m.FileSize == 0 {
			continue
		}
		// Off may be anything the header claimed; compare without
		// computing Off+FileSize, which could wrap.
		off := uint64(m.Off)
		switch {
		case m.Off < 0 || off >= size:
			m.Truncated, m.CutAt = true, m.Start
		case m.FileSize > size-off:
			// The file holds size-off of the mapping's bytes: runtime
			// addresses [Start, Start+size-off).
			m.Truncated, m.CutAt = true, m.Start+(size-off)
		}
	}
}

// warnCut adds a warning for a truncated core and one per cut mapping (the
// first maxCutWarnings of them), naming its range, where its bytes stop in
// memory and in the core, and whether reads fall back to the mapped file.
func (c *File) warnCut() {
	var cut []*Mapping
	for _, m := range c.Mappings {
		if m.Truncated {
			cut = append(cut, m)
		}
	}
	if len(cut) == 0 {
		return
	}
	c.warnf("core file is truncated at %d bytes: %d of %d mappings lost some or all of their bytes", c.size, len(cut), len(c.Mappings))
	for i, m := range cut {
		if i == maxCutWarnings {
			c.warnf("truncated core: and %d more cut mappings", len(cut)-maxCutWarnings)
			break
		}
		c.warnf("truncated core: %s", m.cutDescription(c.size))
	}
}

// cutDescription says, for a cut mapping, which bytes are lost and where
// they were in the core.
func (m *Mapping) cutDescription(coreSize int64) string {
	name := m.File
	if name == "" {
		name = "anonymous"
	}
	s := fmt.Sprintf("mapping %#x-%#x %s %s", m.Start, m.End, m.Perm, name)
	if m.CutAt == m.Start {
		s += fmt.Sprintf(" lost all %d dumped bytes: they were at core offset %#x, past the end of the core at %#x",
			m.FileSize, uint64(m.Off), coreSize)
	} else {
		s += fmt.Sprintf(" is cut at %#x: its bytes stop at core offset %#x (%d of %d dumped bytes present)",
			m.CutAt, coreSize, m.present(), m.FileSize)
	}
	if m.readFromFile() {
		s += "; read-only, so the rest is read from " + m.File
	}
	return s
}

// readFromFile reports whether a cut mapping's lost bytes may be read
// from the file it maps. Only when the process could not write it: the
// kernel dumps a file mapping whole only once it has been written to
// (vma_dump_size in fs/coredump.c: a private mapping with an anon_vma), so
// for a writable one (.data, the GOT) the file holds stale bytes. A
// read-only one holds the file's bytes, or just its ELF header page.
func (m *Mapping) readFromFile() bool {
	return m.File != "" && !m.Writable() && m.Perm != 0
}
