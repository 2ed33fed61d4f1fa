package symbolize

import (
	"debug/elf"
	"math/rand/v2"
	"testing"

	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/internal/testfixture"
)

// openRustcDriver opens librustc_driver (153 MB; 165,000 .symtab and
// 21,000 .dynsym entries, 93,000 distinct function addresses in rustc
// 1.95) as the module table does: memory-mapped, with the symbol table not yet
// read. It skips when rustc is not installed.
func openRustcDriver(b *testing.B) *Module {
	path := testfixture.RustcDriver(b)
	f, err := safefile.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	mapped, err := safefile.Map(f)
	if err != nil {
		f.Close()
		b.Fatal(err)
	}
	ef, err := elf.NewFile(mapped)
	if err != nil {
		closeBoth(mapped, f)
		b.Fatal(err)
	}
	m := &Module{Path: path, File: path, elf: ef, file: f, mmap: mapped, Status: StatusOK}
	b.Cleanup(m.Close)
	return m
}

// BenchmarkSymtabRustc reads librustc_driver's .symtab and .dynsym: every
// function symbol sorted by address and aliases merged, names left in the
// mapped string table (debug/elf's Symbols() takes 54 ms, copying every
// name). The "symbols" metric is the distinct function addresses kept.
func BenchmarkSymtabRustc(b *testing.B) {
	m := openRustcDriver(b)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		n = len(m.readSymtab().funcs)
	}
	b.ReportMetric(float64(n), "symbols")
}

// BenchmarkLookupRustc looks up addresses in librustc_driver's symbol
// table: one lookup (binary search and the name copied out of the string
// table) per op, at the middle of 4,096 function symbols spread over the
// table, in a fixed random order.
func BenchmarkLookupRustc(b *testing.B) {
	m := openRustcDriver(b)
	funcs := m.symtab().allFuncs()
	if len(funcs) < 50_000 {
		b.Fatalf("%d function symbols, want librustc_driver's tens of thousands", len(funcs))
	}
	n := 4096
	addrs := make([]uint64, 0, n)
	for k := 0; k < n; k++ {
		s := funcs[k*len(funcs)/n]
		addrs = append(addrs, s.addr+s.size/2)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := m.Lookup(addrs[i%len(addrs)]); !ok {
			b.Fatalf("no symbol at %#x", addrs[i%len(addrs)])
		}
	}
}
