package symbolize

import (
	"debug/elf"
	"path/filepath"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestExportedFuncAddr: every function glibc exports is found through its
// .gnu.hash at the address debug/elf's .dynsym gives (the first definition
// of a name, as the dynamic linker takes it), and names it does not export
// are not.
func TestExportedFuncAddr(t *testing.T) {
	path := filepath.Join(testfixture.Sysroot(), "usr/lib/x86_64-linux-gnu/libc.so.6")
	m := cacheModule(t, path, t.TempDir())
	if m.elf.Section(".gnu.hash") == nil {
		t.Fatal("no .gnu.hash: the test proves nothing")
	}
	syms, err := m.elf.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{}
	for _, s := range syms {
		typ := elf.ST_TYPE(s.Info)
		if (typ == elf.STT_FUNC || typ == elf.STT_GNU_IFUNC) && s.Section != elf.SHN_UNDEF && s.Value != 0 && elf.ST_BIND(s.Info) != elf.STB_LOCAL {
			if _, ok := want[s.Name]; !ok {
				want[s.Name] = s.Value
			}
		}
	}
	if len(want) < 1000 {
		t.Fatalf("%d exported functions", len(want))
	}
	for name, addr := range want {
		if got, ok := m.ExportedFuncAddr(name); !ok || got != addr {
			t.Errorf("%s: %#x %v, want %#x", name, got, ok, addr)
		}
	}
	for _, name := range []string{"__libc_start_call_main", "start_thread", "no_such_function", ""} {
		if got, ok := m.ExportedFuncAddr(name); ok {
			t.Errorf("%s: found at %#x, glibc does not export it", name, got)
		}
	}
}
