package symbolize

import (
	"debug/dwarf"
	"debug/elf"
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestPrefetchSource: PrefetchSource, run beside the crashed thread's
// walk, inflates nothing of a compressed debug file the cache does not
// hold (a unit read now, before the walk's other units are known, would
// make PrepareSource's pass inflate the section twice), and decodes the
// units and call sites the cache does hold, so that PrepareSource finds
// them done.
func TestPrefetchSource(t *testing.T) {
	sysroot := testfixture.Sysroot()
	const libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
	ef, err := elf.Open(filepath.Join(sysroot, libc))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	const base = 0x7f0000000000
	var regions []Region
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			start := base + p.Vaddr&^0xfff
			regions = append(regions, Region{Start: start, End: base + (p.Vaddr+p.Memsz+0xfff)&^0xfff, Off: p.Off &^ 0xfff, Path: libc, Perm: p.Flags})
		}
	}
	var addrs []uint64
	for _, a := range someAddrs(t, glibcDebug()) {
		addrs = append(addrs, base+a)
	}
	cacheDir := t.TempDir()
	load := func() (*Table, *Module, *dwarfIndex) {
		tab := Load(regions, Options{Sysroot: sysroot, DebugDirs: []string{filepath.Join(sysroot, "usr/lib/debug")}, CacheDir: cacheDir})
		m := tab.Module(addrs[0])
		if m == nil {
			t.Fatalf("no module for libc; warnings %q", tab.Warnings)
		}
		ix := m.dwarfIndex()
		if ix == nil || ix.lazy == nil {
			t.Fatalf("libc's debug file is not read lazily (index %v); warnings %q", ix, tab.Warnings)
		}
		return tab, m, ix
	}
	decoded := func(m *Module, ix *dwarfIndex) (units, sites int) {
		for _, a := range addrs {
			off, ok := ix.unitFor(m.FileAddr(a))
			if !ok {
				continue
			}
			ix.mu.Lock()
			slot := ix.units[off]
			ix.mu.Unlock()
			if slot != nil {
				units++
			}
			m.callSites.mu.Lock()
			if cs := m.callSites.units[off]; cs != nil {
				sites++
			}
			m.callSites.mu.Unlock()
		}
		return units, sites
	}

	cold, m, ix := load()
	cold.PrefetchSource(addrs)
	if ix.lazy.info.pos != 0 || ix.lazy.abbrev.have != 0 {
		t.Errorf("with an empty cache, PrefetchSource inflated %d bytes of .debug_info and %d of .debug_abbrev", ix.lazy.info.pos, ix.lazy.abbrev.have)
	}
	if u, s := decoded(m, ix); u != 0 || s != 0 {
		t.Errorf("with an empty cache, PrefetchSource decoded %d units and %d units' call sites", u, s)
	}
	cold.PrepareSource(addrs)
	if u, s := decoded(m, ix); u < len(addrs)/2 || s < len(addrs)/2 {
		t.Fatalf("PrepareSource decoded the units of %d and the call sites of %d of %d addresses", u, s, len(addrs))
	}
	cold.Close() // waits for the cache entry

	warm, m, ix := load()
	defer warm.Close()
	warm.PrefetchSource(addrs)
	if u, s := decoded(m, ix); u < len(addrs)/2 || s < len(addrs)/2 {
		t.Errorf("from the cache, PrefetchSource decoded the units of %d and the call sites of %d of %d addresses", u, s, len(addrs))
	}
	if ix.lazy.dirty.Load() || ix.lazy.info.r != nil {
		t.Error("from the cache, PrefetchSource inflated")
	}
	var want []dwarf.Offset
	for _, a := range addrs {
		if off, ok := ix.unitFor(m.FileAddr(a)); ok {
			want = append(want, off)
		}
	}
	if !ix.lazy.cachedUnits(want) {
		t.Error("the units are not all cached after PrepareSource's save")
	}
}
