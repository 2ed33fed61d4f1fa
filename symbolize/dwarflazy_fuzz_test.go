package symbolize

import "testing"

// FuzzArangeUnits: .debug_aranges from a file and the DWARF cache's entries
// (checksummed, but read back from a directory anyone with the user's
// rights can write) decode or fail, never panic or allocate by what they
// claim. Seeded with glibc's .debug_aranges and an entry made from it.
func FuzzArangeUnits(f *testing.F) {
	ef, mm := mappedELF(f, glibcDebug())
	if s := ef.Section(".debug_aranges"); s != nil {
		if b := sectionData(mm, s); len(b) > 0 {
			f.Add(b[:min(len(b), 4096)])
			f.Add(encodeDWARFCache(map[string]*cachedSection{"aranges": {size: uint64(len(b)), runs: map[uint64][]byte{0: b[:min(len(b), 512)]}}}))
		}
	}
	f.Add(encodeSyms(encodeSyms(encodeSyms([]byte{1}, []sym{{addr: 1, size: 2, name: 1}}), nil), nil)) // funcs, objects, TLS
	f.Fuzz(func(t *testing.T, b []byte) {
		arangeUnits(b)
		decodeDWARFCache(b)
		cachedSymtabBytes(b, [][]byte{[]byte("\x00a\x00")}, true)
	})
}
