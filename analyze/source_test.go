package analyze

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/symbolize"
)

// The c-inline fixture's program, built with DWARF 5. split/prog is the same
// program stripped by objcopy, whose DWARF is in split/prog.debug (named by
// its .gnu_debuglink).
const cInlineBuildID = "d819cd8406d4319ba3ba3d38cdc0b3d77fb82d36"

// sourceLines lists the crashed thread's frames with their source
// positions, inlined frames included, for comparing two analyses.
func sourceLines(r *report.Report) []string {
	var out []string
	for _, th := range r.Threads {
		if !th.Crashed {
			continue
		}
		for _, f := range th.Frames {
			for _, in := range f.Inlined {
				out = append(out, fmt.Sprintf("#%d inlined %s %s:%d", in.Index, in.Function, in.File, in.Line))
			}
			out = append(out, fmt.Sprintf("#%d %s %s:%d", f.Index, f.Function, f.File, f.Line))
		}
	}
	return out
}

// inFileSource is the c-inline report with the program's own DWARF: the
// reference the separate-debug-file cases must reproduce (it is checked
// against gdb in TestUnwindMatchesGDB).
func inFileSource(t *testing.T) (testfixture.Fixture, []string) {
	t.Helper()
	f, r := analyzeFixture(t, "c-inline")
	want := sourceLines(r)
	if !strings.Contains(strings.Join(want, "\n"), "main.c:30") {
		t.Fatalf("the in-file DWARF gives no main.c:30 frame:\n%s", strings.Join(want, "\n"))
	}
	return f, want
}

// loneCopy copies the stripped program into a directory of its own, where
// no debug file sits beside it.
func loneCopy(t *testing.T, f testfixture.Fixture) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "prog")
	testfixture.CopyFile(t, filepath.Join(f.Dir, "split", "prog"), p)
	return p
}

func buildIDPath(dir, id string) string {
	return filepath.Join(dir, ".build-id", id[:2], id[2:]+".debug")
}

func progModule(t *testing.T, r *report.Report) report.Module {
	t.Helper()
	for _, m := range r.Modules {
		if strings.HasSuffix(m.Path, "/c-inline/prog") {
			return m
		}
	}
	t.Fatal("no prog module")
	return report.Module{}
}

func hasWarning(r *report.Report, sub string) bool {
	for _, w := range r.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// TestSeparateDebugFiles: the stripped program finds its DWARF where gdb
// would, and the frames read exactly as with the DWARF in the file; a debug
// file that does not match is refused with a warning.
func TestSeparateDebugFiles(t *testing.T) {
	f, want := inFileSource(t)
	debug := filepath.Join(f.Dir, "split", "prog.debug")
	cases := []struct {
		name  string
		setup func(t *testing.T) Options // the options; the fixture's libraries come from its directory
		via   string                     // how the debug file must be found; "" if it must not be
		warn  string                     // a warning that must be given
	}{
		{"debuglink beside the binary", func(t *testing.T) Options {
			return Options{Binary: filepath.Join(f.Dir, "split", "prog")}
		}, "debuglink", ""},
		{"debuglink in .debug/", func(t *testing.T) Options {
			p := loneCopy(t, f)
			testfixture.CopyFile(t, debug, filepath.Join(filepath.Dir(p), ".debug", "prog.debug"))
			return Options{Binary: p}
		}, "debuglink", ""},
		{"build-id directory", func(t *testing.T) Options {
			dir := t.TempDir()
			testfixture.CopyFile(t, debug, buildIDPath(dir, cInlineBuildID))
			return Options{Binary: loneCopy(t, f), DebugDirs: []string{dir}}
		}, "build-id", ""},
		{"zstd-compressed DWARF", func(t *testing.T) Options {
			dir := t.TempDir()
			writeZstdDebug(t, debug, buildIDPath(dir, cInlineBuildID))
			return Options{Binary: loneCopy(t, f), DebugDirs: []string{dir}}
		}, "build-id", ""},
		{"GNU .zdebug sections", func(t *testing.T) Options {
			dir := t.TempDir()
			out := buildIDPath(dir, cInlineBuildID)
			os.MkdirAll(filepath.Dir(out), 0o755)
			objcopy := testfixture.Tool(t, "objcopy")
			if b, err := exec.Command(objcopy, "--compress-debug-sections=zlib-gnu", debug, out).CombinedOutput(); err != nil {
				t.Fatalf("objcopy: %v\n%s", err, b)
			}
			return Options{Binary: loneCopy(t, f), DebugDirs: []string{dir}}
		}, "build-id", ""},
		{"debuglink CRC mismatch", func(t *testing.T) Options {
			p := loneCopy(t, f)
			b, _ := os.ReadFile(debug)
			os.WriteFile(filepath.Join(filepath.Dir(p), "prog.debug"), append(b, 0), 0o644)
			return Options{Binary: p}
		}, "", "does not match the module's .gnu_debuglink CRC"},
		{"wrong build-id", func(t *testing.T) Options {
			dir := t.TempDir()
			// glibc's debug file, put where the program's belongs.
			testfixture.CopyFile(t, filepath.Join(testfixture.Sysroot(), "usr/lib/debug/.build-id/93/ac61ec5a8eb1396f9fbd350e3169a558528a40.debug"), buildIDPath(dir, cInlineBuildID))
			return Options{Binary: loneCopy(t, f), DebugDirs: []string{dir}}
		}, "", "has build-id 93ac61ec5a8eb1396f9fbd350e3169a558528a40"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := c.setup(t)
			opts.Sysroot, opts.SearchPaths = testfixture.Sysroot(), []string{f.Dir}
			r, err := Analyze(f.CoreZst, opts)
			if err != nil {
				t.Fatal(err)
			}
			m := progModule(t, r)
			if m.DebugVia != c.via {
				t.Errorf("debug file %q found via %q, want %q", m.DebugFile, m.DebugVia, c.via)
			}
			if c.warn != "" && !hasWarning(r, c.warn) {
				t.Errorf("no warning %q in %q", c.warn, r.Warnings)
			}
			got := sourceLines(r)
			if c.via == "" {
				for _, l := range got {
					if strings.Contains(l, "main.c") {
						t.Errorf("a refused debug file was used: %s", l)
					}
				}
				return
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("frames differ from the in-file DWARF's:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// writeZstdDebug copies the ELF debug file at from to to with every .debug_*
// section compressed with zstd (SHF_COMPRESSED, ELFCOMPRESS_ZSTD), as
// `objcopy --compress-debug-sections=zstd` would (Debian's binutils 2.40 is
// built without zstd). The compressed bytes go at the end of the file and
// the section headers are pointed at them.
func writeZstdDebug(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	le := binary.LittleEndian
	shoff := le.Uint64(b[0x28:])
	out := append([]byte(nil), b...)
	n := 0
	for i, s := range ef.Sections {
		if !strings.HasPrefix(s.Name, ".debug_") || s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_COMPRESSED != 0 || s.Size == 0 {
			continue
		}
		data, err := s.Data()
		if err != nil {
			t.Fatal(err)
		}
		// Elf64_Chdr: ch_type, ch_reserved, ch_size, ch_addralign.
		chdr := make([]byte, 24)
		le.PutUint32(chdr[0:], uint32(elf.COMPRESS_ZSTD))
		le.PutUint64(chdr[8:], uint64(len(data)))
		le.PutUint64(chdr[16:], max(s.Addralign, 1))
		blob := append(chdr, enc.EncodeAll(data, nil)...)
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
		off := len(out)
		out = append(out, blob...)
		sh := out[shoff+uint64(i)*64:]
		le.PutUint64(sh[8:], uint64(s.Flags|elf.SHF_COMPRESSED))
		le.PutUint64(sh[24:], uint64(off))
		le.PutUint64(sh[32:], uint64(len(blob)))
		le.PutUint64(sh[48:], 8)
		n++
	}
	if n < 3 {
		t.Fatalf("only %d debug sections compressed", n)
	}
	// The copy must really be zstd: debug/elf must see compressed sections.
	check, err := elf.NewFile(bytes.NewReader(out))
	if err != nil || check.Section(".debug_info").Flags&elf.SHF_COMPRESSED == 0 {
		t.Fatalf("compressed copy: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// startDebuginfod runs elfutils' debuginfod on a loopback port over dir and
// waits until it serves the build-id; it returns the server's URL.
func startDebuginfod(t *testing.T, dir, buildID string) string {
	t.Helper()
	bin := testfixture.Tool(t, "debuginfod")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-F", "-p", fmt.Sprint(port), "-d", filepath.Join(t.TempDir(), "db.sqlite"), "-t", "0", dir)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/buildid/" + buildID + "/debuginfo")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("debuginfod did not serve %s within a minute (%v)\n%s", buildID, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDebuginfod fetches the stripped program's debug file from a real
// debuginfod server, then reads it from the cache with the server gone.
func TestDebuginfod(t *testing.T) {
	t.Parallel()
	f, want := inFileSource(t)
	served := t.TempDir()
	testfixture.CopyFile(t, filepath.Join(f.Dir, "split", "prog.debug"), filepath.Join(served, "prog.debug"))
	url := startDebuginfod(t, served, cInlineBuildID)
	cache := t.TempDir()
	bin := loneCopy(t, f)
	analyzeVia := func(urls []string) *report.Report {
		t.Helper()
		opts := Options{Binary: bin, Sysroot: testfixture.Sysroot(), SearchPaths: []string{f.Dir},
			Debuginfod: &symbolize.Debuginfod{URLs: urls, CacheDir: cache, Timeout: 10 * time.Second}}
		r, err := Analyze(f.CoreZst, opts)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := analyzeVia([]string{url})
	if m := progModule(t, r); m.DebugVia != "debuginfod" {
		t.Errorf("debug file %q via %q, want debuginfod (warnings %q)", m.DebugFile, m.DebugVia, r.Warnings)
	}
	if got := sourceLines(r); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("frames differ from the in-file DWARF's:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	cached := filepath.Join(cache, cInlineBuildID, "debuginfo")
	if _, err := os.Stat(cached); err != nil {
		t.Errorf("not cached: %v", err)
	}
	// Without a reachable server the cache answers.
	r = analyzeVia([]string{"http://127.0.0.1:1"})
	if m := progModule(t, r); m.DebugVia != "debuginfod" || m.DebugFile != cached {
		t.Errorf("second run: debug file %q via %q, want %s from the cache", m.DebugFile, m.DebugVia, cached)
	}
}

// TestDebuginfodUnreachable: a server that refuses connections costs a
// warning, and the report is written without source positions for the
// program.
func TestDebuginfodUnreachable(t *testing.T) {
	f := testfixture.Get(t, "c-inline")
	opts := Options{Binary: loneCopy(t, f), Sysroot: testfixture.Sysroot(), SearchPaths: []string{f.Dir},
		Debuginfod: &symbolize.Debuginfod{URLs: []string{"http://127.0.0.1:1"}, CacheDir: t.TempDir(), Timeout: 5 * time.Second}}
	r, err := Analyze(f.CoreZst, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(r, "no debug file from debuginfod") {
		t.Errorf("no debuginfod warning in %q", r.Warnings)
	}
	if m := progModule(t, r); m.DebugFile != "" {
		t.Errorf("debug file %q", m.DebugFile)
	}
}
