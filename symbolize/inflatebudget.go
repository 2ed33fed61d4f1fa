package symbolize

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"strings"
	"sync/atomic"
)

// Caps on the bytes compressed DWARF may inflate to. Plain sections are
// read from the mapped file and cost no memory of their own; compressed
// ones are inflated whole and kept while the module is open. A 51 KB file
// of zstd RLE blocks can claim 1000 MiB per section, so the claims are
// added up before anything is inflated. libc6-dbg's debug file, the
// largest compressed DWARF a glibc frame needs, inflates to about 40 MiB.
const (
	maxModuleInflate   = 512 << 20
	maxAnalysisInflate = 1 << 30
)

// inflateBudget is the compressed-DWARF bytes one analysis (one Table)
// may still inflate.
type inflateBudget struct {
	used atomic.Int64
}

// reserve takes n bytes from the budget, or says why it cannot.
func (b *inflateBudget) reserve(n int64) error {
	if b == nil {
		return nil
	}
	if b.used.Add(n) > maxAnalysisInflate {
		b.used.Add(-n)
		return fmt.Errorf("its compressed DWARF inflates to %d MiB, past what is left of the %d MiB all modules of one analysis may inflate; not read", n>>20, maxAnalysisInflate>>20)
	}
	return nil
}

// inflatedSize is the size a section's bytes take once read: what the
// Elf64_Chdr of an SHF_COMPRESSED section claims (debug/elf puts it in
// Size), the size in a GNU .zdebug header, or 0 for a plain section read
// from the file.
func inflatedSize(s *elf.Section) int64 {
	switch {
	case s.Flags&elf.SHF_COMPRESSED != 0:
		return int64(min(s.Size, 1<<62))
	case strings.HasPrefix(s.Name, ".zdebug_"):
		var h [12]byte
		if _, err := s.ReadAt(h[:], 0); err != nil || string(h[:4]) != "ZLIB" {
			return 0 // inflateGNU refuses it
		}
		return int64(min(binary.BigEndian.Uint64(h[4:]), 1<<62))
	}
	return 0
}
