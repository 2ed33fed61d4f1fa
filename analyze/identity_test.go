package analyze

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/render"
	"github.com/coreview/coreview/report"
)

// TestNoBuildIDCore: the c-no-buildid fixture's program has no build-id
// and its core no ELF header pages (coredump_filter 0x23), so no module has
// a build-id or headers in the core. The right binary and libraries still
// match, by the layout of their mappings; other-prog, the same program with
// more code, does not: a prominent mismatch, and its frames unreliable.
func TestNoBuildIDCore(t *testing.T) {
	f, r := analyzeFixture(t, "c-no-buildid")
	for _, m := range r.Modules {
		if m.CoreBuildID != "" && m.Path != "[vdso]" {
			t.Fatalf("module %s has build-id %s in the core; the fixture should have none", m.Path, m.CoreBuildID)
		}
		if m.Status != "ok" && m.Status != "memory" {
			t.Errorf("right files: module %s is %s", m.Path, m.Status)
		}
	}
	for _, fr := range r.CrashedThread().Frames {
		if fr.Unreliable {
			t.Errorf("right binary: frame %d marked unreliable", fr.Index)
		}
	}
	if w := strings.Join(r.Warnings, "\n"); strings.Contains(w, "not the file the process mapped") {
		t.Errorf("right binary: %s", w)
	}

	other := filepath.Join(f.Dir, "other-prog")
	r, err := Analyze(f.CoreZst, Options{Binary: other, Sysroot: testfixture.Sysroot()})
	if err != nil {
		t.Fatal(err)
	}
	checkMismatch(t, r, other, "fits none of the file's PT_LOAD segments")

}

// checkMismatch asserts how a report shows a wrong executable: the module
// is "mismatch" with the reason in a warning, the text report says so in
// its header, and every frame in the executable is unreliable.
func checkMismatch(t *testing.T, r *report.Report, file, reason string) {
	t.Helper()
	m := exeModule(t, r)
	if m.Status != "mismatch" || m.File != file {
		t.Errorf("executable module %+v, want mismatch from %s", m, file)
	}
	w := strings.Join(r.Warnings, "\n")
	if !strings.Contains(w, file+" is not the file the process mapped (") || !strings.Contains(w, reason) {
		t.Errorf("no warning gives the mismatch and %q:\n%s", reason, w)
	}
	var text bytes.Buffer
	render.Text(&text, r, render.TextOptions{})
	if want := "mismatch " + file + " is not the file the process mapped as " + m.Path; !strings.Contains(text.String(), want) {
		t.Errorf("the text report's header lacks %q:\n%.800s", want, text.String())
	}
	inExe := 0
	for _, fr := range r.CrashedThread().Frames {
		if fr.Module == filepath.Base(m.Path) {
			inExe++
			if !fr.Unreliable {
				t.Errorf("frame %d in the wrong executable is not marked unreliable", fr.Index)
			}
		}
	}
	if inExe == 0 {
		t.Errorf("no frame in the executable: %+v", r.CrashedThread().Frames)
	}
	if !strings.Contains(text.String(), "[unreliable: the file does not match the core]") {
		t.Errorf("the text report does not mark frames unreliable")
	}
}

// TestLayoutMatchesFixtures wipes the ELF header pages from real cores, as
// a core dumped without coredump_filter bit 4 lacks them: without build-ids
// or headers every module's right file must still match by layout, and
// another fixture's executable must not.
func TestLayoutMatchesFixtures(t *testing.T) {
	t.Parallel()
	all, checked := testfixture.All(t), 0
	for _, f := range all {
		if size := f.RawSize(t); size < 0 || size > 32<<20 {
			continue // the 61-thread core is half a gigabyte, mostly holes
		}
		checked++
		raw, err := os.ReadFile(f.RawCore(t))
		if err != nil {
			t.Fatal(err)
		}
		c, err := corefile.NewFile(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatal(err)
		}
		wiped := 0
		for _, m := range c.Mappings {
			if m.File != "" && m.FileOff == 0 && m.FileSize > 0 && !m.Truncated {
				clear(raw[m.Off : m.Off+int64(m.FileSize)])
				wiped++
			}
		}
		t.Run(f.Name, func(t *testing.T) {
			c, err := corefile.NewFile(bytes.NewReader(raw), int64(len(raw)))
			if err != nil {
				t.Fatal(err)
			}
			s := NewSession(f.Name, c, options(f))
			r := s.Report()
			s.Close()
			for _, m := range r.Modules {
				if m.Status == "mismatch" {
					t.Errorf("%d header pages wiped: module %s does not match its own file %s: %s", wiped, m.Path, m.File, strings.Join(r.Warnings, "\n"))
				}
			}
			// A program of another size: tiny C programs of the same
			// toolchain can have the same layout, page for page.
			wrong := testfixture.Get(t, "c-no-buildid").Dir + "/other-prog"
			if f.Name == "c-no-buildid" {
				wrong = testfixture.Get(t, "rust-thread-overflow").Binary
			}
			c, _ = corefile.NewFile(bytes.NewReader(raw), int64(len(raw)))
			s = NewSession(f.Name, c, Options{Binary: wrong, Sysroot: testfixture.Sysroot()})
			r = s.Report()
			s.Close()
			if m := exeModule(t, r); m.Status != "mismatch" {
				t.Errorf("%s taken for the executable: %+v", wrong, m)
			}
		})
	}
	if checked < len(all)-1 {
		t.Errorf("only %d of %d fixture cores checked: their sizes were not read", checked, len(all))
	}
}

// TestMismatchedBuildID analyzes a real core with another fixture's
// executable: the build-ids differ, so the report says so in a warning and
// its header, the module is "mismatch" and its frames unreliable (scan's
// error row for it is scan.TestScanMismatchedBuildID).
func TestMismatchedBuildID(t *testing.T) {
	f := testfixture.Get(t, "c-null-deref")
	wrong := testfixture.Get(t, "c-null-call").Binary
	r, err := Analyze(f.CoreZst, Options{Binary: wrong, Sysroot: testfixture.Sysroot()})
	if err != nil {
		t.Fatal(err)
	}
	m := exeModule(t, r)
	if m.BuildID == "" || m.CoreBuildID == "" || m.BuildID == m.CoreBuildID {
		t.Fatalf("build-ids %q (file) and %q (core): want two different ones", m.BuildID, m.CoreBuildID)
	}
	checkMismatch(t, r, wrong, "build-id "+m.BuildID+", the core's is "+m.CoreBuildID)

}

// TestBinaryNotRead: an executable given that cannot be read (missing, a
// directory, a wrapper script, a file too short to be ELF) is named in a
// warning that says why, and the executable is found as without it (here
// in a search directory, by build-id): the frames are the same.
func TestBinaryNotRead(t *testing.T) {
	f := testfixture.Get(t, "c-null-deref")
	dir := t.TempDir()
	script := filepath.Join(dir, "python3")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec python3.11 \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte{0x7f, 'E'}, 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := Analyze(f.CoreZst, Options{Sysroot: testfixture.Sysroot(), SearchPaths: []string{f.Dir}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ binary, why string }{
		{filepath.Join(dir, "missing"), "no such file or directory"},
		{dir, "not a regular file but a directory"},
		{script, "it is a script (it starts with #!), not an ELF file"},
		{short, "it is not an ELF file (2 bytes)"},
	} {
		r, err := Analyze(f.CoreZst, Options{Binary: tc.binary, Sysroot: testfixture.Sysroot(), SearchPaths: []string{f.Dir}})
		if err != nil {
			t.Fatal(err)
		}
		m := exeModule(t, r)
		w := strings.Join(r.Warnings, "\n")
		if !strings.Contains(w, "the executable given, "+tc.binary+", was not read: ") || !strings.Contains(w, tc.why) || !strings.Contains(w, "; using "+m.File) {
			t.Errorf("--binary %s: no warning says it was not read because %q and that %s is used:\n%s", tc.binary, tc.why, m.File, w)
		}
		if m.Status != "ok" || !reflect.DeepEqual(frameNames(r), frameNames(want)) {
			t.Errorf("--binary %s: executable %s (%s), frames %q; want those of the analysis without it, %q", tc.binary, m.File, m.Status, frameNames(r), frameNames(want))
		}
	}
	// The script and nothing else: the module's warning says a file was
	// found that is not ELF, not that none was found.
	r, err := Analyze(f.CoreZst, Options{Binary: script, Sysroot: testfixture.Sysroot()})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "no ELF file found (tried "+script) || !strings.Contains(w, "not ELF: "+script+")") {
		t.Errorf("only a script: %s", w)
	}
	// Given and read: no such warning.
	r, err = Analyze(f.CoreZst, Options{Binary: f.Binary, Sysroot: testfixture.Sysroot()})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(r.Warnings, "\n"); strings.Contains(w, "was not read") {
		t.Errorf("the right --binary: %s", w)
	}
}

func frameNames(r *report.Report) []string {
	var out []string
	for _, fr := range r.CrashedThread().Frames {
		out = append(out, fr.Function)
	}
	return out
}
