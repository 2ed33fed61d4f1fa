package analyze

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// withoutFileNote returns a copy of the fixture's raw core whose NT_FILE
// note has another type (0x46494c58, "XLIF"), as a core written without the
// note (kernels before 3.7, user-space writers) looks to a reader. It walks
// the ELF64 program headers and each PT_NOTE's notes (gABI note layout).
// The copy is made once per fixture and test binary, sparse like the raw
// core (c-threads' is 473 MB, mostly holes), and shared: read it, do not
// change it.
func withoutFileNote(t *testing.T, f testfixture.Fixture) string {
	t.Helper()
	v, _ := noFileCopies.LoadOrStore(f.Name, &noFileCopy{})
	c := v.(*noFileCopy)
	raw, dir := f.RawCore(t), testfixture.SharedDir(t)
	c.once.Do(func() {
		c.path = filepath.Join(dir, f.Name+".nofile")
		c.err = writeWithoutFileNote(raw, c.path)
	})
	if c.err != nil {
		t.Fatal(c.err)
	}
	return c.path
}

var noFileCopies sync.Map // fixture name → *noFileCopy

type noFileCopy struct {
	once sync.Once
	path string
	err  error
}

// writeWithoutFileNote copies the raw core at path to out, sparse, and
// renames its one NT_FILE note's type in the copy.
func writeWithoutFileNote(path, out string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	read := func(off, n uint64) ([]byte, error) {
		b := make([]byte, n)
		if _, err := in.ReadAt(b, int64(off)); err != nil {
			return nil, fmt.Errorf("%s: %d bytes at %#x: %w", path, n, off, err)
		}
		return b, nil
	}
	le := binary.LittleEndian
	eh, err := read(0, 64)
	if err != nil {
		return err
	}
	phoff, phnum := le.Uint64(eh[32:]), uint64(le.Uint16(eh[56:]))
	phdrs, err := read(phoff, 56*phnum)
	if err != nil {
		return err
	}
	var typeOffs []uint64 // file offsets of the NT_FILE notes' n_type
	for i := uint64(0); i < phnum; i++ {
		p := phdrs[56*i:]
		if le.Uint32(p) != 4 { // PT_NOTE
			continue
		}
		off, size := le.Uint64(p[8:]), le.Uint64(p[32:])
		notes, err := read(off, size)
		if err != nil {
			return err
		}
		for o := uint64(0); o+12 <= size; {
			namesz, descsz := uint64(le.Uint32(notes[o:])), uint64(le.Uint32(notes[o+4:]))
			if le.Uint32(notes[o+8:]) == corefile.NT_FILE {
				typeOffs = append(typeOffs, off+o+8)
			}
			o += 12 + (namesz+3)&^3 + (descsz+3)&^3
		}
	}
	if len(typeOffs) != 1 {
		return fmt.Errorf("%s: %d NT_FILE notes, want 1", path, len(typeOffs))
	}
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := safefile.CopySparse(w, in, -1); err != nil {
		w.Close()
		return err
	}
	var typ [4]byte
	le.PutUint32(typ[:], 0x46494c58)
	if _, err := w.WriteAt(typ[:], int64(typeOffs[0])); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// asJSON is a report as its JSON decodes into generic values, after the
// replacements in words.
func asJSON(t *testing.T, r *report.Report, words *strings.Replacer) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(words.Replace(buf.String())), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// jsonDiff returns the JSON path of the first difference between a and b.
func jsonDiff(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return path
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		var ks []string
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			if d := jsonDiff(path+"."+k, av[k], bv[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return fmt.Sprintf("%s (length %d, %d)", path, len(av), lenOf(b))
		}
		for i := range av {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s: %v, %v", path, a, b)
	}
	return ""
}

func lenOf(v any) int {
	if s, ok := v.([]any); ok {
		return len(s)
	}
	return -1
}

// TestCoresWithoutFileNote: every fixture core with its NT_FILE note
// renamed gives the same report as the original, with the modules found
// from the auxiliary vector and the dynamic linker's list (module paths
// too: l_name resolved as the kernel resolves NT_FILE's). The fields that
// may differ, and why:
//   - core: the copy's path;
//   - warnings: the copy says that it has no NT_FILE;
//   - the file, offset and role of mappings that belong to no module (data
//     files such as locale-archive, a program's mmap of a file): nothing
//     but NT_FILE names them; so the sentences that describe such a
//     mapping say "the mapped file F" or "anonymous memory" with NT_FILE
//     and "memory the core names no file for" without;
//   - inputs read from a data file the program mapped (source "file"):
//     only NT_FILE names the file, and the kernel did not dump its pages.
//
// Frames, names, source lines, diagnoses, the signal, the signature, the
// modules and every other field of the mappings must be equal.
func TestCoresWithoutFileNote(t *testing.T) {
	t.Parallel()
	for _, f := range testfixture.All(t) {
		t.Run(f.Name, func(t *testing.T) {
			// The fixture's shared report, of its compressed core: the
			// report of a core does not depend on its compression but
			// for the "core" and "stored" fields and the warnings. The
			// copy is raw, as the original was decompressed: "stored"
			// is dropped from the original's report only, and the
			// copy's must have none.
			orig := fixtureReport(t, f)
			got, err := Analyze(withoutFileNote(t, f), options(f))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, w := range got.Warnings {
				if strings.Contains(w, "no NT_FILE note") {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning that the core has no NT_FILE: %q", got.Warnings)
			}
			modulePaths := map[string]bool{}
			for _, m := range orig.Modules {
				modulePaths[m.Path] = true
			}
			const unnamed = "memory the core names no file for (it has no NT_FILE note)"
			pairs := []string{"anonymous memory", unnamed}
			for _, m := range orig.Mappings {
				if m.File != "" && (!modulePaths[m.File] || m.Role == report.RoleFile) {
					pairs = append(pairs, "the mapped file "+m.File, unnamed)
				}
			}
			a, b := asJSON(t, orig, strings.NewReplacer(pairs...)), asJSON(t, got, strings.NewReplacer())
			delete(a, "stored")
			for _, m := range []map[string]any{a, b} {
				delete(m, "core")
				delete(m, "warnings")
				if ins, ok := m["inputs"].([]any); ok {
					var keep []any
					for _, in := range ins {
						if in.(map[string]any)["source"] != "file" {
							keep = append(keep, in)
						}
					}
					if m["inputs"] = keep; len(keep) == 0 {
						delete(m, "inputs")
					}
				}
			}
			am, bm := a["mappings"].([]any), b["mappings"].([]any)
			for i := range am {
				mp := am[i].(map[string]any)
				var other map[string]any
				if i < len(bm) {
					other = bm[i].(map[string]any)
				}
				if file, _ := mp["file"].(string); modulePaths[file] && mp["role"] != string(report.RoleFile) {
					continue // a module's mapping
				}
				for _, k := range []string{"file", "offset", "role"} {
					delete(mp, k)
					delete(other, k)
				}
			}
			if d := jsonDiff("report", a, b); d != "" {
				t.Errorf("without NT_FILE the report differs at %s", d)
			}
		})
	}
}

// TestCoresWithoutFileNoteMatchEUStack: eu-stack, which finds a core's
// modules without NT_FILE through the same link map, walks the renamed
// copies of c-abort and c-threads (17 threads) to the same frames: PCs,
// symbols, modules. eu-stack takes libraries from this machine's paths,
// so the comparison is made only when this machine's libc.so.6 is the one
// the fixtures ran with.
func TestCoresWithoutFileNoteMatchEUStack(t *testing.T) {
	t.Parallel()
	euStack := testfixture.Tool(t, "eu-stack")
	for _, name := range []string{"c-abort", "c-threads"} {
		t.Run(name, func(t *testing.T) {
			f := testfixture.Get(t, name)
			nofile := withoutFileNote(t, f)
			r, err := Analyze(nofile, options(f))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range r.Modules {
				if filepath.Base(m.Path) != "libc.so.6" {
					continue
				}
				host, err := elf.Open("/usr/lib/x86_64-linux-gnu/libc.so.6")
				if err != nil {
					t.Skipf("no libc.so.6 on this machine: %v", err)
				}
				id := hostBuildID(host)
				host.Close()
				if id != m.BuildID {
					t.Skipf("this machine's libc.so.6 has build-id %s, the fixture's %s: eu-stack would read another file", id, m.BuildID)
				}
			}
			compareWithEUStack(t, euStackFrames(t, euStack, f.Binary, nofile), r)
		})
	}
}

// hostBuildID reads an ELF file's NT_GNU_BUILD_ID note, in hex.
func hostBuildID(f *elf.File) string {
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			continue
		}
		for len(b) >= 12 {
			namesz, descsz, typ := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])
			nameEnd := 12 + (int(namesz)+3)&^3
			descEnd := nameEnd + (int(descsz)+3)&^3
			if descEnd > len(b) {
				break
			}
			if typ == 3 && namesz == 4 && string(b[12:15]) == "GNU" {
				return fmt.Sprintf("%x", b[nameEnd:nameEnd+int(descsz)])
			}
			b = b[descEnd:]
		}
	}
	return ""
}

// TestLinkMapCrossCheck: with NT_FILE present, a library the dynamic
// linker's list names but NT_FILE does not list is a warning. c-abort's
// core with libc.so.6 struck from its NT_FILE (as a damaged or partial
// note would leave it); the intact core has no such warning.
func TestLinkMapCrossCheck(t *testing.T) {
	f := testfixture.Get(t, "c-abort")
	for _, strike := range []bool{false, true} {
		c, err := corefile.Open(f.RawCore(t))
		if err != nil {
			t.Fatal(err)
		}
		if strike {
			var kept []corefile.FileEntry
			for _, fe := range c.Files {
				if !strings.HasSuffix(fe.Path, "/libc.so.6") {
					kept = append(kept, fe)
				}
			}
			c.Files = kept
			for _, m := range c.Mappings {
				if strings.HasSuffix(m.File, "/libc.so.6") {
					m.File, m.FileOff = "", 0
				}
			}
		}
		s := NewSession("core", c, options(f))
		r := s.Report()
		s.Close()
		warned := false
		for _, w := range r.Warnings {
			if strings.Contains(w, "dynamic linker's list names /lib/x86_64-linux-gnu/libc.so.6") && strings.Contains(w, "which NT_FILE does not list") {
				warned = true
			}
		}
		if warned != strike {
			t.Errorf("libc struck from NT_FILE: %v; warned: %v (%q)", strike, warned, r.Warnings)
		}
	}
}
