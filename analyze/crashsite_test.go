package analyze

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
)

// objdumpLines disassembles [lo, hi) of an ELF file (link-time addresses)
// and returns each instruction's address and bytes, joining the
// continuation lines objdump prints for instructions longer than 7 bytes.
func objdumpLines(t *testing.T, objdump, file string, lo, hi uint64) (addrs []uint64, code map[uint64][]byte) {
	t.Helper()
	out, err := exec.Command(objdump, "-d", "-w", "-M", "intel", fmt.Sprintf("--start-address=%#x", lo),
		fmt.Sprintf("--stop-address=%#x", hi), file).CombinedOutput()
	if err != nil {
		t.Fatalf("objdump: %v\n%s", err, out)
	}
	line := regexp.MustCompile(`^\s*([0-9a-f]+):\t([0-9a-f ]+)\t`)
	code = map[uint64][]byte{}
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		a, _ := strconv.ParseUint(m[1], 16, 64)
		b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(m[2]), " ", ""))
		if err != nil {
			t.Fatalf("objdump line %q: %v", l, err)
		}
		addrs = append(addrs, a)
		code[a] = b
	}
	return addrs, code
}

// TestCrashListingMatchesObjdump checks the listing at the crash on every
// fixture whose crashed PC (or call site) has a symbol: its instruction
// boundaries and bytes are objdump's, decoded from the same function, and
// the current instruction is the PC's (or the call's, for a PC that is
// not code).
func TestCrashListingMatchesObjdump(t *testing.T) {
	t.Parallel()
	objdump := testfixture.Tool(t, "objdump")
	listed := 0
	for _, f := range testfixture.All(t) {
		t.Run(f.Name, func(t *testing.T) {
			// The raw core, decompressed once for the test binary: the
			// listing does not depend on how the core was stored, and
			// c-threads' is 473 MB to inflate again.
			s, err := Open(f.RawCore(t), options(f))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			r := s.Report()
			lines, callSite := s.last.crashListing()
			if len(lines) == 0 {
				t.Skipf("no listing (pc %#x)", uint64(r.CrashedThread().Frames[0].PC))
			}
			listed++
			m := s.Modules.Module(lines[0].Addr)
			if m == nil {
				t.Fatalf("listing at %#x outside any module", lines[0].Addr)
			}
			file := m.File
			if file == "" {
				// The vDSO: its whole ELF image is in the core.
				img := make([]byte, m.End-m.Start)
				if _, err := s.Mem.ReadAt(img, m.Start); err != nil {
					t.Fatal(err)
				}
				file = filepath.Join(t.TempDir(), "vdso.so")
				if err := os.WriteFile(file, img, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			last := lines[len(lines)-1]
			addrs, code := objdumpLines(t, objdump, file, m.FileAddr(lines[0].Addr), m.FileAddr(last.Addr)+uint64(len(last.Bytes)))
			if len(addrs) != len(lines) {
				t.Errorf("objdump lists %d instructions in the range, coreview %d", len(addrs), len(lines))
			}
			current := 0
			for i, l := range lines {
				if i < len(addrs) && m.FileAddr(l.Addr) != addrs[i] {
					t.Errorf("instruction %d at %#x, objdump's at %#x", i, m.FileAddr(l.Addr), addrs[i])
				}
				if want := code[m.FileAddr(l.Addr)]; !bytes.Equal(l.Bytes, want) {
					t.Errorf("%#x: bytes % x, objdump % x", l.Addr, l.Bytes, want)
				}
				if l.Current {
					current++
					pc := uint64(r.CrashedThread().Frames[0].PC)
					if !callSite && l.Addr != pc {
						t.Errorf("current instruction at %#x, pc %#x", l.Addr, pc)
					}
					if callSite && !strings.HasPrefix(l.Text, "call") {
						t.Errorf("current instruction %q at the call site is not a call", l.Text)
					}
				}
			}
			if current != 1 {
				t.Errorf("%d instructions marked current", current)
			}
			if testing.Verbose() {
				for _, l := range lines {
					t.Logf("%v %#x % -24x %s", l.Current, l.Addr, l.Bytes, l.Text)
				}
			}
		})
	}
	if listed < 10 {
		t.Errorf("only %d fixtures got a listing", listed)
	}
}

// TestCrashListingStripped lists the crash of c-null-deref with its binary
// stripped of symbols: the listing then starts at the FDE's start, and its
// boundaries must still be objdump's on the unstripped file.
func TestCrashListingStripped(t *testing.T) {
	objdump := testfixture.Tool(t, "objdump")
	strip := testfixture.Tool(t, "strip")
	f := testfixture.Get(t, "c-null-deref")
	bin := filepath.Join(t.TempDir(), "prog")
	if out, err := exec.Command(strip, "-s", "-o", bin, f.Binary).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, out)
	}
	opts := options(f)
	opts.Binary = bin
	s, err := Open(f.CoreZst, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := s.Report()
	if r.CrashedThread().Frames[0].Function != "" {
		t.Fatalf("frame 0 still has a name: %q", r.CrashedThread().Frames[0].Function)
	}
	lines, _ := s.last.crashListing()
	if len(lines) == 0 {
		t.Fatal("no listing without symbols")
	}
	m := s.Modules.Module(lines[0].Addr)
	last := lines[len(lines)-1]
	addrs, _ := objdumpLines(t, objdump, f.Binary, m.FileAddr(lines[0].Addr), m.FileAddr(last.Addr)+uint64(len(last.Bytes)))
	if len(addrs) != len(lines) {
		t.Fatalf("objdump lists %d instructions, coreview %d", len(addrs), len(lines))
	}
	for i, l := range lines {
		if m.FileAddr(l.Addr) != addrs[i] {
			t.Errorf("instruction %d at %#x, objdump's at %#x", i, m.FileAddr(l.Addr), addrs[i])
		}
	}
}
