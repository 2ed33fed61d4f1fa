package analyze

import (
	"io"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/stackmap"
	"github.com/coreview/coreview/symbolize"
)

// Hot-path benchmarks. The side-by-side comparison with gdb and eu-stack on
// a real rustc core is bench/compare.sh.

func openFixture(b testing.TB, name string) *Session {
	f := testfixture.Get(b, name)
	s, err := Open(f.CoreZst, options(f))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkUnwind walks the 3,129-frame crashed thread of the stacker
// fixture (CFI rows cached per PC after the first walk, as in one run).
func BenchmarkUnwind(b *testing.B) {
	s := openFixture(b, "stacker-segment")
	defer s.Close()
	regs := threadRegs(s.Core.CrashedThread())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := stackmap.Unwind(s.Mem, s.code, regs, stackmap.Options{})
		if len(st.Frames) < 3000 {
			b.Fatalf("%d frames", len(st.Frames))
		}
	}
}

// BenchmarkSymbolLookup looks up every frame's PC of that stack (a small
// binary; symbolize's BenchmarkLookupRustc looks up in librustc_driver).
func BenchmarkSymbolLookup(b *testing.B) {
	s := openFixture(b, "stacker-segment")
	defer s.Close()
	st := stackmap.Unwind(s.Mem, s.code, threadRegs(s.Core.CrashedThread()), stackmap.Options{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range st.Frames {
			pc := st.Frames[j].LookupPC()
			if m := s.Modules.Module(pc); m != nil {
				m.Lookup(m.FileAddr(pc))
			}
		}
	}
}

// BenchmarkDemangle demangles Rust legacy, Rust v0 and C++ names.
func BenchmarkDemangle(b *testing.B) {
	names := []string{
		"_ZN3std3sys9backtrace28__rust_begin_short_backtrace17hecece55ec91990d8E",
		"_RNvMs0_NtNtNtCsjrHSEGnQ3l9_3std3sys6thread4unixNtB5_6Thread4join",
		"_ZNSt6vectorIiSaIiEE9push_backERKi",
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		symbolize.Demangle(names[i%len(names)])
	}
}

// BenchmarkAnalyze is the whole pipeline on the 61-thread fixture: open,
// unwind every thread, symbolize, diagnose, write JSON.
func BenchmarkAnalyze(b *testing.B) {
	f := testfixture.Get(b, "c-threads")
	core := f.RawCore(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Analyze(core, options(f))
		if err != nil {
			b.Fatal(err)
		}
		if err := r.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeRustc is the whole pipeline on a live rustc lexer
// overflow (10,000+ frames, librustc_driver with 165k symbols), when rustc
// is installed.
func BenchmarkAnalyzeRustc(b *testing.B) {
	core, rustc := liveRustcCore(b, "lexer.rs", lexerOverflow)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Analyze(core, Options{Binary: rustc})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeRustcWarm is BenchmarkAnalyzeRustc with the DWARF
// cache warm (glibc's inflated units read from it, when libc6-dbg is
// installed).
func BenchmarkAnalyzeRustcWarm(b *testing.B) {
	core, rustc := liveRustcCore(b, "lexer.rs", lexerOverflow)
	opts := Options{Binary: rustc, CacheDir: b.TempDir()}
	if _, err := Analyze(core, opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Analyze(core, opts)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnwindRustc walks the 10,000-frame crashed thread of a live
// rustc lexer overflow: FDE lookups through .eh_frame_hdr and CFA
// evaluation, with rows cached per PC, so after the first walk mostly
// cache hits (stackmap's BenchmarkCFI measures a miss).
func BenchmarkUnwindRustc(b *testing.B) {
	core, rustc := liveRustcCore(b, "lexer.rs", lexerOverflow)
	s, err := Open(core, Options{Binary: rustc})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	regs := threadRegs(s.Core.CrashedThread())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if st := stackmap.Unwind(s.Mem, s.code, regs, stackmap.Options{}); len(st.Frames) < 10000 {
			b.Fatalf("%d frames", len(st.Frames))
		}
	}
}

// BenchmarkInputsRustc is the input search of the live rustc lexer
// overflow's crashed thread (inputsOf): its 10,599 frames' registers and
// the innermost 4 MiB of their slots, which run beside the symbolization
// and, once that is done, are what an analysis waits for.
func BenchmarkInputsRustc(b *testing.B) {
	core, rustc := liveRustcCore(b, "lexer.rs", lexerOverflow)
	s, err := Open(core, Options{Binary: rustc})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	stacks := s.unwindAll()
	a := &analysis{s: s, stacks: stacks, mm: s.buildMemoryMap(stacks)}
	t := s.Core.CrashedThread()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if found := a.inputsOf(t, stacks[0]); len(found) == 0 {
			b.Fatal("no input found")
		}
	}
}
