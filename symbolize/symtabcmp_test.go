package symbolize

import (
	"bytes"
	"testing"
)

// TestCompareNames: compareNames orders names as bytes.Compare of
// nameBytes does, including a prefix, equal names in two tables, a name
// that runs to the end of its table without a NUL, and an offset past it.
func TestCompareNames(t *testing.T) {
	st := &symtab{strtabs: [][]byte{
		[]byte("\x00raise\x00gsignal\x00abc\x00abcd\x00"),
		[]byte("\x00raise\x00abc"),
	}}
	syms := []sym{
		{name: 1}, {name: 7}, {name: 15}, {name: 19},
		{name: 1, tab: 1}, {name: 7, tab: 1}, {name: 99, tab: 1}, {name: 0},
	}
	compareAll(t, st, syms)
}

// compareAll checks compareNames on every pair of syms against
// bytes.Compare of their names.
func compareAll(t *testing.T, st *symtab, syms []sym) {
	t.Helper()
	for _, a := range syms {
		for _, b := range syms {
			want := bytes.Compare(st.nameBytes(a), st.nameBytes(b))
			if got := st.compareNames(a, b); got != want {
				t.Errorf("%q vs %q: %d, want %d", st.nameBytes(a), st.nameBytes(b), got, want)
			}
		}
	}
}

// TestCompareNamesLong: the eight-bytes-at-a-time path, on names that
// share long prefixes (identical-code-folded Rust functions), differ in
// each byte of a word, end inside a word, or run to the table's end.
func TestCompareNamesLong(t *testing.T) {
	base := "_RNvMs3_NtCslNYArtu3iFV_5alloc7raw_vecINtB5_6RawVec"
	names := []string{base, base + "A", base + "B", base[:len(base)-1] + "Z", base + "ABCDEFGH", base + "ABCDEFGI", base + "ABCDEFG", "x"}
	var tab []byte
	var syms []sym
	for _, n := range names {
		tab = append(tab, 0)
		syms = append(syms, sym{name: uint32(len(tab))})
		tab = append(tab, n...)
	}
	// The last name has no NUL: it runs to the table's end.
	st := &symtab{strtabs: [][]byte{tab}}
	compareAll(t, st, syms)
}

// TestAliasChoice: of aliases at one address, the ranks that need no name
// are applied when the table is read, the name when a lookup lands there:
// the module's own file over its debug file, sized over zero-sized,
// .symtab over .dynsym, then the name gdb's sort puts last, the first of
// equal names. A zero-sized label and a nested symbol are found past a
// group of aliases.
func TestAliasChoice(t *testing.T) {
	tab := []byte("\x00gsignal\x00raise\x00zzz_dyn\x00zzz_debug\x00label\x00outer\x00raise\x00")
	name := func(n string) uint32 { return uint32(bytes.Index(tab, []byte("\x00"+n+"\x00")) + 1) }
	funcs := []sym{
		{addr: 0x100, size: 0x40, name: name("outer")},
		{addr: 0x110, size: 0x10, name: name("gsignal")},
		{addr: 0x110, size: 0x10, name: name("zzz_dyn"), flags: symDyn},
		{addr: 0x110, size: 0x10, name: name("raise")},
		{addr: 0x110, size: 0x10, name: name("zzz_debug"), flags: symDebug},
		{addr: 0x110, size: 0, name: name("zzz_dyn")},
		{addr: 0x110, size: 0x10, name: uint32(bytes.LastIndex(tab, []byte("raise")))},
		{addr: 0x200, size: 0, name: name("label")},
	}
	st := &symtab{strtabs: [][]byte{tab}, ownSymtab: true}
	st.funcs = st.keepAliases(append([]sym(nil), funcs...))
	if len(st.funcs) != 5 {
		t.Fatalf("kept %d functions, want outer, the three .symtab aliases, label", len(st.funcs))
	}
	m := &Module{syms: st}
	m.symOnce.Do(func() {})
	for _, c := range []struct {
		addr uint64
		want string
		off  uint64
	}{
		{0x118, "raise", 0x110},
		{0x110, "raise", 0x110},
		{0x125, "outer", 0x100}, // past raise's end, inside outer
		{0x204, "label", 0x200},
	} {
		s, ok := m.lookupFunc(st, c.addr)
		if !ok || string(st.nameBytes(s)) != c.want || s.addr != c.off {
			t.Errorf("%#x: %q at %#x (%v), want %q", c.addr, st.nameBytes(s), s.addr, ok, c.want)
		}
	}
	// The first "raise" of the two is the one chosen.
	if s, _ := st.best(3); s.name != name("raise") {
		t.Errorf("best chose the second of two equal names")
	}
	// Without its own .symtab, a file's .dynsym names rank as the rest.
	st2 := &symtab{strtabs: [][]byte{tab}}
	if got := st2.keepAliases(append([]sym(nil), funcs[1:4]...)); len(got) != 3 {
		t.Errorf("without a .symtab, %d aliases kept, want 3", len(got))
	}
}
