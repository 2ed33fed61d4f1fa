package scan

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/internal/testfixture"
)

// TestScanBinaryLookupOrder: scan looks for a core's executable in the
// order the README gives (--binary; "bin" beside the core; the core's
// directory and then --binary-dir, each by build-id then name; the core's
// path under --sysroot), and a wrong file of the right name (another
// program's "prog") loses to the right file wherever it is.
func TestScanBinaryLookupOrder(t *testing.T) {
	f := testfixture.Get(t, "c-null-call")
	wrong := testfixture.Get(t, "c-abort").Binary
	// The executable's path as the core names it.
	r, err := analyze.Analyze(f.CoreZst, analyze.Options{Binary: f.Binary, Sysroot: testfixture.Sysroot(), SearchPaths: []string{f.Dir}})
	if err != nil {
		t.Fatal(err)
	}
	exePath := r.Process.Exe
	if filepath.Base(exePath) != "prog" {
		t.Fatalf("exe path %q", exePath)
	}
	// A sysroot with the libraries and the right executable at its path.
	sysroot := t.TempDir()
	for _, lib := range []string{"usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"} {
		testfixture.CopyFile(t, filepath.Join(testfixture.Sysroot(), lib), filepath.Join(sysroot, lib))
	}
	testfixture.CopyFile(t, f.Binary, filepath.Join(sysroot, exePath))

	tests := []struct {
		name  string
		files map[string]string // relative path -> source
		opts  func(dir string) Options
		want  string // the file chosen, relative to the test directory
	}{
		{"bin beside the core before --binary-dir",
			map[string]string{"crash/bin": f.Binary, "bindir/prog": f.Binary},
			func(dir string) Options { return Options{BinaryDir: filepath.Join(dir, "bindir")} },
			"crash/bin"},
		{"wrong same-named file beside the core, right one in --binary-dir by name",
			map[string]string{"crash/prog": wrong, "bindir/prog": f.Binary},
			func(dir string) Options { return Options{BinaryDir: filepath.Join(dir, "bindir")} },
			"bindir/prog"},
		{"--binary-dir by build-id before a wrong same-named file",
			map[string]string{"bindir/prog": wrong, "bindir/renamed": f.Binary},
			func(dir string) Options { return Options{BinaryDir: filepath.Join(dir, "bindir")} },
			"bindir/renamed"},
		{"wrong file in --binary-dir, right one under --sysroot",
			map[string]string{"bindir/prog": wrong},
			func(dir string) Options {
				return Options{BinaryDir: filepath.Join(dir, "bindir"), Core: analyze.Options{Sysroot: sysroot}}
			},
			"sysroot"},
		{"right file beside the core before --sysroot",
			map[string]string{"crash/prog": f.Binary},
			func(dir string) Options { return Options{Core: analyze.Options{Sysroot: sysroot}} },
			"crash/prog"},
		{"--binary first",
			map[string]string{"crash/bin": wrong, "given": f.Binary},
			func(dir string) Options { return Options{Core: analyze.Options{Binary: filepath.Join(dir, "given")}} },
			"given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			core := filepath.Join(dir, "crash", "core.zst")
			testfixture.CopyFile(t, f.CoreZst, core)
			for rel, src := range tt.files {
				testfixture.CopyFile(t, src, filepath.Join(dir, rel))
			}
			opts := tt.opts(dir)
			if opts.Core.Sysroot == "" {
				opts.Core.Sysroot = testfixture.Sysroot()
			}
			s, err := analyze.Open(core, coreOptions(core, opts))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			want := filepath.Join(dir, tt.want)
			if tt.want == "sysroot" {
				want = filepath.Join(sysroot, exePath)
			}
			for _, m := range s.Modules.Modules {
				if m.Path != exePath {
					continue
				}
				if m.File != want || m.Status != "ok" {
					t.Errorf("executable from %s (%s), want %s; warnings:\n%s", m.File, m.Status, want, strings.Join(s.Modules.Warnings, "\n"))
				}
				return
			}
			t.Fatalf("no module for %s", exePath)
		})
	}
}
