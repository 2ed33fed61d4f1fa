package symbolize

import (
	"debug/elf"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// TestLookupRealBinary looks up addresses of the c-null-call fixture's
// program (readelf: .init 0x1000+0x17, .plt 0x1020+0x20, .plt.got
// 0x1040+0x8, .text from 0x1050) and, when gdb is installed, checks each
// answer against gdb's `info symbol`.
func TestLookupRealBinary(t *testing.T) {
	path := filepath.Join(testfixture.Root(), "testdata", "cores", "c-null-call", "prog")
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	m := &Module{Path: path, elf: ef}
	tests := []struct {
		name     string
		fileAddr uint64
		want     string // symbol+offset; "" for none
	}{
		{"_init (zero-sized, in .init)", 0x1010, "_init+0x10"},
		// PLT0 pushes the link map and jumps to the resolver; no symbol
		// names it and _init, the label below, is in another section.
		{"PLT0", 0x1020, ""},
		{"PLT0 jump", 0x1026, ""},
		{"PLT stub", 0x1030, "calloc@plt+0x0"},
		{"PLT stub push", 0x1036, "calloc@plt+0x6"},
		{".plt.got stub", 0x1040, "__cxa_finalize@plt+0x0"},
		{"function", 0x1139, "apply+0x0"},
		{"function body", 0x1150, "run+0x4"},
	}
	gdb, _ := testfixture.OptionalTool(t, "gdb")
	var gdbOut []string
	if gdb != "" {
		args := []string{"-nx", "-batch"}
		for _, tt := range tests {
			args = append(args, "-ex", fmt.Sprintf("info symbol %#x", tt.fileAddr))
		}
		out, err := exec.Command(gdb, append(args, path)...).Output()
		if err != nil {
			t.Fatalf("gdb: %v", err)
		}
		gdbOut = strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(gdbOut) != len(tests) {
			t.Fatalf("gdb printed %d lines for %d addresses:\n%s", len(gdbOut), len(tests), out)
		}
	}
	// gdb: "calloc@plt in section .plt", "_init + 16 in section .init",
	// "No symbol matches 0x1020.".
	gdbLine := regexp.MustCompile(`^(\S+)(?: \+ (\d+))? in section \S+$`)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if s, ok := m.Lookup(tt.fileAddr); ok {
				got = fmt.Sprintf("%s+%#x", s.Name, tt.fileAddr-s.Addr)
			}
			if got != tt.want {
				t.Errorf("Lookup(%#x) = %q, want %q", tt.fileAddr, got, tt.want)
			}
			s, ok := m.Lookup(tt.fileAddr)
			if start, startOK := m.LookupStart(tt.fileAddr); start != s.Addr || startOK != ok {
				t.Errorf("LookupStart(%#x) = %#x, %v; Lookup's symbol starts at %#x, %v", tt.fileAddr, start, startOK, s.Addr, ok)
			}
			if gdbOut == nil {
				return
			}
			g := gdbOut[i]
			want := ""
			if mm := gdbLine.FindStringSubmatch(g); mm != nil {
				off := 0
				fmt.Sscan(mm[2], &off)
				want = fmt.Sprintf("%s+%#x", mm[1], off)
			} else if !strings.HasPrefix(g, "No symbol matches") {
				t.Fatalf("gdb said %q", g)
			}
			if got != want {
				t.Errorf("Lookup(%#x) = %q; gdb's info symbol says %q", tt.fileAddr, got, g)
			}
		})
	}
}
