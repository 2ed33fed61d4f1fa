package analyze

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/coreview/coreview/analyze/inputs"
	"github.com/coreview/coreview/internal/testfixture"
)

// recordedOffset reads the offset the fixture's parser printed to stderr
// when its stack ran out ("overflow at offset N").
func recordedOffset(t *testing.T, f testfixture.Fixture) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.Dir, "stderr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`overflow at offset (\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("stderr.txt %q holds no offset", b)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// TestInputsParser checks the input search on the recursive-descent parser
// fixtures against the program's own record of where it was: the buffer is
// the input file (found through argv in the heap case, through NT_FILE in
// the mmap case, both under the sysroot), and the innermost pointer is
// within 16 bytes of the byte the parser last looked at.
func TestInputsParser(t *testing.T) {
	t.Parallel()
	input := "/tmp/coreview-parse/input.txt"
	want, err := os.ReadFile(filepath.Join(testfixture.Sysroot(), input))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		source inputs.Source
	}{{"c-parse-heap", inputs.SourceHeap}, {"c-parse-mmap", inputs.SourceFile}} {
		t.Run(tc.name, func(t *testing.T) {
			f := testfixture.Get(t, tc.name)
			s, err := Open(f.CoreZst, options(f))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.Report()
			in := s.last.findInputs()
			if len(in) == 0 {
				t.Fatal("no input found")
			}
			got := in[0]
			t.Logf("%+v", got)
			if got.File != input || got.Size != int64(len(want)) || got.Source != tc.source {
				t.Errorf("input %s (%d bytes, %s), want %s (%d bytes, %s)", got.File, got.Size, got.Source, input, len(want), tc.source)
			}
			rec := recordedOffset(t, f)
			if d := got.Offset - rec; d < -16 || d > 16 {
				t.Errorf("offset %d, the parser recorded %d", got.Offset, rec)
			}
			// The line and column are the offset's in the file itself.
			line, col := int64(1), int64(1)
			for _, c := range want[:got.Offset] {
				if col++; c == '\n' {
					line, col = line+1, 1
				}
			}
			if got.Line != line || got.Column != col {
				t.Errorf("line %d column %d, want %d:%d", got.Line, got.Column, line, col)
			}
			lo := max(0, got.Offset-40)
			if got.Excerpt != string(want[lo:min(int64(len(want)), got.Offset+40)]) {
				t.Errorf("excerpt %q", got.Excerpt)
			}
			if got.Frames < 100 {
				t.Errorf("%d frames point into the input, want the recursion's", got.Frames)
			}
		})
	}
}

// TestResolveRelative: a relative command-line path is taken from the
// process's PWD; without one, on the machine the core was written on, from
// the core's directory (where a relative core_pattern puts it); never so
// under another sysroot.
func TestResolveRelative(t *testing.T) {
	for _, c := range []struct {
		sysroot, path string
		env           []string
		process       string
		local         string
		ok            bool
	}{
		{"", "in.rs", []string{"PWD=/home/u/src"}, "/home/u/src/in.rs", "/home/u/src/in.rs", true},
		{"", "in.rs", nil, "in.rs", "/var/crash/in.rs", true},
		{"/", "sub/in.rs", []string{"PWD=relative"}, "sub/in.rs", "/var/crash/sub/in.rs", true},
		{"/srv/root", "in.rs", nil, "", "", false},
	} {
		s := &Session{Path: "/var/crash/core", Opts: Options{Sysroot: c.sysroot}}
		process, local, ok := s.resolve(c.path, c.env)
		if process != c.process || local != c.local || ok != c.ok {
			t.Errorf("sysroot %q: resolve(%q, %q) = %q, %q, %v; want %q, %q, %v", c.sysroot, c.path, c.env, process, local, ok, c.process, c.local, c.ok)
		}
	}
}
