package stackmap

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// Benchmarks of the unwinder's hot path on real .eh_frame sections. An
// unwind caches rows per PC (a recursion visits the same few PCs thousands
// of times), so the analyze package's unwind benchmarks mostly measure
// cache hits; these measure what a cache miss costs: finding the FDE by
// binary search in .eh_frame_hdr, decoding it, running its CFA program up
// to the PC, and applying the row's rules to the registers.

// benchModule is an ELF file whose .eh_frame the benchmarks read.
type benchModule struct {
	name string
	path string // empty: librustc_driver, looked up when the benchmark runs
}

func benchModules() []benchModule {
	root := testfixture.Root()
	return []benchModule{
		// Rust std, statically linked into a small program.
		{name: "rust-thread-overflow", path: filepath.Join(root, "testdata", "cores", "rust-thread-overflow", "prog")},
		// glibc: PLT entries with DW_CFA_def_cfa_expression, signal
		// trampolines.
		{name: "libc", path: filepath.Join(testfixture.Sysroot(), "usr", "lib", "x86_64-linux-gnu", "libc.so.6")},
		// librustc_driver (153 MB, about 300,000 FDEs), when rustc is
		// installed; found in the sub-benchmark, which skips without it.
		{name: "librustc_driver"},
	}
}

// benchCFI opens a module's .eh_frame through its header and picks up to
// 4,096 PCs spread evenly over the search table, each in the middle of its
// function (as a return address is: the CFA program runs through the
// prologue's advances), in a fixed random order so that successive lookups
// do not walk the same path of the binary search.
func benchCFI(b *testing.B, path string) (*CFI, []uint64) {
	hdr, hdrAddr, eh, ehAddr := ehSectionsOf(b, path)
	c, err := NewCFI(Sections{EHFrame: eh, EHFrameAddr: ehAddr, EHFrameHdr: hdr, EHFrameHdrAddr: hdrAddr})
	if err != nil || c.eh == nil {
		b.Fatalf("%s: %v", path, err)
	}
	n := min(c.eh.count, 4096)
	var pcs []uint64
	for k := 0; k < n; k++ {
		_, addr := c.eh.entry(k * c.eh.count / n)
		if addr < c.eh.addr || addr-c.eh.addr >= uint64(len(c.eh.data)) {
			continue
		}
		f, err := c.eh.parseFDE(int(addr - c.eh.addr))
		if err != nil || f.end <= f.begin {
			continue
		}
		pc := f.begin + (f.end-f.begin)/2
		if e := c.compute(pc); e.err != nil {
			continue
		}
		pcs = append(pcs, pc)
	}
	if len(pcs) < n/2 {
		b.Fatalf("%s: only %d of %d sampled FDEs give a row", path, len(pcs), n)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(pcs), func(i, j int) { pcs[i], pcs[j] = pcs[j], pcs[i] })
	b.Logf("%s: %d FDEs in .eh_frame_hdr, %d PCs sampled", filepath.Base(path), c.eh.count, len(pcs))
	return c, pcs
}

// wordMem reads the same word at every address, so that every register
// rule that loads from the stack succeeds.
type wordMem struct{}

func (wordMem) ReadAt(p []byte, addr uint64) (int, error) {
	for i := range p {
		p[i] = byte(0x11 * (i%8 + 1))
	}
	return len(p), nil
}

// BenchmarkCFI measures, per module, one uncached lookup of each kind:
//
//	fde-lookup   binary search of .eh_frame_hdr and decoding the FDE
//	row          that, plus the CIE's and FDE's CFA programs up to the PC
//	step         that, plus computing the CFA and the caller's registers
//	step-cached  a step whose row is in the per-PC cache, as in a recursion
//
// CIEs are cached by the first lookup that reaches them (a module has a
// handful), as in a real unwind.
func BenchmarkCFI(b *testing.B) {
	for _, m := range benchModules() {
		b.Run(m.name, func(b *testing.B) {
			path := m.path
			if path == "" {
				path = testfixture.RustcDriver(b)
			}
			c, pcs := benchCFI(b, path)
			var regs Regs
			for n := 0; n < numRegs; n++ {
				regs.Set(n, 0x7ffc_0000_1000+uint64(n)*8)
			}
			b.Run("fde-lookup", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, err := c.eh.find(pcs[i%len(pcs)]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("row", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if e := c.compute(pcs[i%len(pcs)]); e.err != nil {
						b.Fatal(e.err)
					}
				}
			})
			b.Run("step", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, _, _, err := c.compute(pcs[i%len(pcs)]).step(&regs, wordMem{}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("step-cached", func(b *testing.B) {
				for _, pc := range pcs {
					c.lookup(pc)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, _, _, err := c.step(pcs[i%len(pcs)], &regs, wordMem{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
