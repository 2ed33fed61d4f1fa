package symbolize

import (
	"debug/elf"
	"math/rand"
	"sort"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// oldLookup is the lookup before aliases were chosen at lookup time: of
// each address keep one alias (own file over debug file, sized over
// zero-sized, .symtab over .dynsym in a file with its own .symtab, then
// the name sorting last, the first of equal names), then the nearest
// symbol at or below that covers, else the one below it, else a
// zero-sized label in the same section. It runs on the aliases
// keepAliases kept: the ones it drops lose on the first three rules, so
// the old choice never fell on them.
func oldLookup(m *Module, st *symtab, deduped []sym, fileAddr uint64) (sym, bool) {
	i := sort.Search(len(deduped), func(i int) bool { return deduped[i].addr > fileAddr }) - 1
	zero := -1
	for ; i >= 0 && deduped[i].size == 0; i-- {
		if zero < 0 {
			zero = i
		}
	}
	covers := func(s sym) bool { return fileAddr-s.addr < s.size }
	if i >= 0 {
		if covers(deduped[i]) {
			return deduped[i], true
		}
		if i > 0 && covers(deduped[i-1]) {
			return deduped[i-1], true
		}
	}
	if zero >= 0 && m.sameSection(fileAddr, deduped[zero].addr) {
		return deduped[zero], true
	}
	return sym{}, false
}

func oldDedupe(st *symtab, funcs []sym) []sym {
	fromDynsym := func(a sym) bool { return a.flags&symDyn != 0 && a.flags&symPLT == 0 }
	better := func(a, b sym) bool {
		if (a.flags&symDebug != 0) != (b.flags&symDebug != 0) {
			return a.flags&symDebug == 0
		}
		if (a.size > 0) != (b.size > 0) {
			return a.size > 0
		}
		if st.ownSymtab {
			if da, db := fromDynsym(a), fromDynsym(b); da != db {
				return db
			}
		}
		return st.compareNames(a, b) > 0
	}
	var out []sym
	for _, s := range funcs {
		if n := len(out); n > 0 && out[n-1].addr == s.addr {
			if better(s, out[n-1]) {
				out[n-1] = s
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// TestLookupMatchesOld holds lookupFunc, reading the table and from its
// encoded (cached) form, to the old algorithm on real tables: librustc_
// driver's (identical-code-folded aliases, .symtab and .dynsym) and
// libc's with libc6-dbg's debug file (.dynsym in the file, .symtab in the
// debug file; IFUNCs, zero-sized labels, PLT entries), at every symbol's
// edges and at random addresses.
func TestLookupMatchesOld(t *testing.T) {
	for _, c := range []struct {
		name string
		open func(t *testing.T) *Module
	}{
		{"rustc_driver", func(t *testing.T) *Module { return openModule(t, testfixture.RustcDriver(t)) }},
		{"libc", func(t *testing.T) *Module {
			path := "/lib/x86_64-linux-gnu/libc.so.6"
			ef, err := elf.Open(path)
			if err != nil {
				t.Skipf("%s: %v", path, err)
			}
			id := fileBuildID(ef)
			ef.Close()
			m := openModuleFile(t, path, &debugFinder{dirs: []string{"/usr/lib/debug"}})
			m.BuildID = id
			return m
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := c.open(t)
			st := m.symtab()
			funcs := append([]sym(nil), st.allFuncs()...)
			if len(funcs) == 0 {
				t.Fatal("no function symbols")
			}
			if c.name == "libc" && !hasFlag(funcs, symDebug) {
				if testfixture.RequireTools() {
					t.Fatal("no symbols from libc6-dbg's debug file: is libc6-dbg installed?")
				}
				t.Log("libc6-dbg's debug file not found: libc's .dynsym only")
			}
			deduped := oldDedupe(st, funcs)
			enc := &symtab{strtabs: st.strtabs, encFuncs: encodeSyms(nil, funcs)[4:], ownSymtab: st.ownSymtab}
			rng := rand.New(rand.NewSource(1))
			lo, hi := funcs[0].addr, funcs[len(funcs)-1].addr+funcs[len(funcs)-1].size+64
			var addrs []uint64
			for _, s := range funcs {
				addrs = append(addrs, s.addr-1, s.addr, s.addr+1, s.addr+s.size/2, s.addr+s.size-1, s.addr+s.size, s.addr+s.size+1)
			}
			for range 200000 {
				addrs = append(addrs, lo+uint64(rng.Int63n(int64(hi-lo))))
			}
			differ := 0
			for _, a := range addrs {
				want, wok := oldLookup(m, st, deduped, a)
				for _, tab := range []*symtab{st, enc} {
					got, ok := m.lookupFunc(tab, a)
					if ok != wok || got != want {
						if differ++; differ <= 10 {
							t.Errorf("%#x (encoded %v): %q %+v %v, old %q %+v %v", a, tab == enc, st.nameBytes(got), got, ok, st.nameBytes(want), want, wok)
						}
					}
				}
			}
			t.Logf("%d symbols, %d addresses, %d aliases kept past the old choice", len(funcs), len(addrs), len(funcs)-len(deduped))
		})
	}
}

func hasFlag(funcs []sym, f symFlags) bool {
	for _, s := range funcs {
		if s.flags&f != 0 {
			return true
		}
	}
	return false
}
