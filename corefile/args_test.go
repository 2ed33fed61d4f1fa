package corefile

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"unsafe"

	"github.com/coreview/coreview/internal/testfixture"
)

// stackImage lays out an initial stack as fs/binfmt_elf.c
// create_elf_tables does, at vaddr: argc, argv[], NULL, envp[], NULL,
// auxv (AT_EXECFN, AT_PAGESZ, AT_NULL), then the string area. argv and
// envp hold offsets into strs, turned into addresses here; the returned
// core has the matching NT_AUXV note and one PRSTATUS.
func stackCore(argv, envp []uint64, strs []byte) []byte {
	return deepStackCore(0, argv, envp, strs)
}

// deepStackCore is stackCore with pad bytes of stack below argc: a stack
// the process grew that deep.
func deepStackCore(pad int, argv, envp []uint64, strs []byte) []byte {
	const base = 0x7ffc00000000
	vaddr := uint64(base + pad)
	le := binary.LittleEndian
	words := 1 + len(argv) + 1 + len(envp) + 1 + 6
	strBase := vaddr + uint64(8*words)
	execfn := strBase + uint64(len(strs))
	var b bytes.Buffer
	b.Write(make([]byte, pad))
	w := func(v uint64) { var x [8]byte; le.PutUint64(x[:], v); b.Write(x[:]) }
	w(uint64(len(argv)))
	for _, p := range argv {
		w(strBase + p)
	}
	w(0)
	for _, p := range envp {
		w(strBase + p)
	}
	w(0)
	auxv := []uint64{AT_EXECFN, execfn, AT_PAGESZ, 4096, AT_NULL, 0}
	for _, v := range auxv {
		w(v)
	}
	b.Write(strs)
	b.WriteString("/bin/prog\x00")
	for b.Len()%4096 != 0 {
		b.WriteByte(0)
	}
	var an bytes.Buffer
	for _, v := range auxv {
		var x [8]byte
		le.PutUint64(x[:], v)
		an.Write(x[:])
	}
	return synthCore([]synthNote{
		{"CORE", NT_PRSTATUS, prstatus(1, 0, vaddr)},
		{"CORE", NT_AUXV, an.Bytes()},
	}, []synthLoad{{vaddr: base, memsz: uint64(b.Len()), flags: 6, data: b.Bytes()}})
}

func commandLine(t *testing.T, img []byte) CommandLine {
	t.Helper()
	c, err := NewFile(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	cl, ok := c.Memory(nil).CommandLine()
	if !ok {
		t.Fatal("no command line found on the stack")
	}
	return cl
}

func TestCommandLine(t *testing.T) {
	strs := []byte("prog\x00-v\x00\x00HOME=/root\x00")
	cl := commandLine(t, stackCore([]uint64{0, 5, 8}, []uint64{9, 9}, strs))
	if got := strings.Join(cl.Argv, "|"); got != "prog|-v|" {
		t.Errorf("argv %q", cl.Argv)
	}
	if got := strings.Join(cl.Envp, "|"); got != "HOME=/root|HOME=/root" {
		t.Errorf("envp %q", cl.Envp)
	}
	if cl.Cut != "" {
		t.Errorf("cut %q on a small command line", cl.Cut)
	}
}

// TestCommandLineDeepStack: on a stack grown more than maxArgSearch below
// the strings (a deep recursion's main stack), the search window starts at
// an address as aligned as the auxv copy's, whatever AT_EXECFN's: argv was
// lost on python's 65,000-frame json overflow, whose AT_EXECFN is odd.
func TestCommandLineDeepStack(t *testing.T) {
	strs := []byte("prog\x00deep.json\x00PWD=/tmp\x00x") // an odd length: AT_EXECFN unaligned
	for _, pad := range []int{maxArgSearch, maxArgSearch + 4096} {
		cl := commandLine(t, deepStackCore(pad, []uint64{0, 5}, []uint64{15}, strs))
		if got := strings.Join(cl.Argv, "|"); got != "prog|deep.json" {
			t.Errorf("pad %d: argv %q", pad, cl.Argv)
		}
	}
}

// hostileArgs: 65,536 argv and 65,536 env pointers into one 128 KiB run
// without a NUL; argv all at its start (one string, shared), envp at
// distinct offsets (each a new string, until the budget is spent).
func hostileArgs() []byte {
	run := bytes.Repeat([]byte{'A'}, maxArgLen)
	argv := make([]uint64, 1<<16)
	envp := make([]uint64, 1<<16)
	for i := range envp {
		envp[i] = uint64(i % 4096)
	}
	return stackCore(argv, envp, run)
}

// TestCommandLineCapped: what is read is capped at maxArgBytes together
// and the cut is said.
func TestCommandLineCapped(t *testing.T) {
	cl := commandLine(t, hostileArgs())
	if len(cl.Argv) != 1<<16 || len(cl.Argv[0]) != maxArgLen || len(cl.Argv[1<<16-1]) != maxArgLen {
		t.Fatalf("argv: %d strings, first %d bytes", len(cl.Argv), len(cl.Argv[0]))
	}
	// Shared strings are one allocation: count each backing array once.
	seen := map[*byte]bool{}
	total := 0
	for _, s := range append(cl.Argv, cl.Envp...) {
		if p := unsafe.StringData(s); !seen[p] {
			seen[p] = true
			total += len(s)
		}
	}
	if total > maxArgBytes {
		t.Errorf("read %d bytes of strings, cap %d", total, maxArgBytes)
	}
	if len(cl.Envp) >= 1<<16 || len(cl.Envp) < 4 {
		t.Errorf("%d env strings kept", len(cl.Envp))
	}
	for _, want := range []string{"longer than 128 KiB cut there", "past the 1 MiB", "0 argv"} {
		if !strings.Contains(cl.Cut, want) {
			t.Errorf("cut %q lacks %q", cl.Cut, want)
		}
	}
}

// TestCommandLineMemory: the hostile stack that took 16 GiB stays in a
// small budget, measured in a child process.
func TestCommandLineMemory(t *testing.T) {
	if testfixture.InChild(t) {
		img := hostileArgs()
		c, err := NewFile(bytes.NewReader(img), int64(len(img)))
		if err != nil {
			t.Fatal(err)
		}
		c.Memory(nil).Args()
		return
	}
	const budget = 200 << 20
	if rss := testfixture.RunInChild(t, 2<<30); rss > budget {
		t.Errorf("peak RSS %d MiB, budget %d MiB", rss>>20, budget>>20)
	} else {
		t.Logf("peak RSS %d MiB", rss>>20)
	}
}

// TestCommandLineWideWindow: the pointers below the auxv copy reach past
// the first window searched (40,000 environment entries, 320 KiB of
// pointers), so the search grows and finds them all.
func TestCommandLineWideWindow(t *testing.T) {
	envp := make([]uint64, 40_000)
	for i := range envp {
		envp[i] = 5
	}
	cl := commandLine(t, stackCore([]uint64{0}, envp, []byte("prog\x00HOME=/\x00")))
	if len(cl.Argv) != 1 || cl.Argv[0] != "prog" || len(cl.Envp) != len(envp) || cl.Envp[0] != "HOME=/" {
		t.Errorf("argv %q, %d env strings (first %q), want [prog] and %d", cl.Argv, len(cl.Envp), cl.Envp[:min(1, len(cl.Envp))], len(envp))
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.ReaderAt
	n int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// TestCommandLineReadsLittle: on a stack grown 6 MiB below a small
// command line, the search reads the first window, not maxArgSearch:
// 4 MiB read for every core was a kilo-page of fresh memory each.
func TestCommandLineReadsLittle(t *testing.T) {
	img := deepStackCore(6<<20, []uint64{0}, []uint64{5}, []byte("prog\x00HOME=/\x00"))
	cr := &countingReader{r: bytes.NewReader(img)}
	c, err := NewFile(cr, int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	cr.n = 0
	cl, ok := c.Memory(nil).CommandLine()
	if !ok || len(cl.Argv) != 1 || cl.Argv[0] != "prog" {
		t.Fatalf("command line %q, %v; want [prog]", cl.Argv, ok)
	}
	if cr.n > 2*argSearchStart {
		t.Errorf("read %d bytes of the core to find the command line, want at most %d (the first window and the strings)", cr.n, 2*argSearchStart)
	}
}
