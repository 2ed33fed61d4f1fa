package analyze

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreview/coreview/internal/testfixture"
	"github.com/coreview/coreview/report"
)

// liveCCore builds the C sources of testdata/live/loads named in build
// (each a gcc command line after "gcc", run in a temporary directory that
// holds the sources), runs run there with core dumps enabled, and returns
// the directory and the core. It skips when gcc is absent or the kernel
// does not write cores named "core" in the working directory.
func liveCCore(t *testing.T, build [][]string, run ...string) (dir, core string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no live core")
	}
	gcc := testfixture.Tool(t, "gcc")
	if p, err := os.ReadFile("/proc/sys/kernel/core_pattern"); err != nil || strings.TrimSpace(string(p)) != "core" {
		t.Skipf("core_pattern is %q, not \"core\"", strings.TrimSpace(string(p)))
	}
	dir = t.TempDir()
	src := filepath.Join(testfixture.Root(), "testdata", "live", "loads")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		testfixture.CopyFile(t, filepath.Join(src, e.Name()), filepath.Join(dir, e.Name()))
	}
	for _, args := range build {
		cmd := exec.Command(gcc, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gcc %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	cmd := exec.Command("bash", append([]string{"-c", "ulimit -c unlimited; exec \"$@\"", "bash"}, run...)...)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	core = filepath.Join(dir, "core")
	if _, err := os.Stat(core); err != nil {
		t.Fatalf("%s did not dump core: %s", run[0], out)
	}
	t.Logf("%s: %s", run[0], strings.TrimSpace(string(out)))
	return dir, core
}

// modulesNamed returns the report's modules whose path ends in /name.
func modulesNamed(r *report.Report, name string) []report.Module {
	var out []report.Module
	for _, m := range r.Modules {
		if strings.HasSuffix(m.Path, "/"+name) {
			out = append(out, m)
		}
	}
	return out
}

// frameFunctions lists the crashed thread's function names, or "?" for
// frames without one.
func frameFunctions(r *report.Report) []string {
	var out []string
	for _, th := range r.Threads {
		if th.Crashed {
			for _, f := range th.Frames {
				out = append(out, nameOr(f.Function, "?"))
			}
		}
	}
	return out
}

// TestLiveFileMappedAgain: a program that maps its own executable and
// libc.so.6 whole with mmap (to read them, as symbolizers and Rust's std
// do) and then crashes in libc's strlen. The extra mappings are data: one
// module each for the executable and libc, spanning their loads alone,
// and every frame named as gdb names it (before, the executable's module
// ran up to its mmap above libc and took libc's frames:
// "mmapself+0x29f4752dbad8").
func TestLiveFileMappedAgain(t *testing.T) {
	t.Parallel()
	dir, core := liveCCore(t, [][]string{{"-g", "-O1", "-o", "mmapself", "mmapself.c"}}, "./mmapself")
	opts := Options{Binary: filepath.Join(dir, "mmapself")}
	r, err := Analyze(core, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mmapself", "libc.so.6"} {
		ms := modulesNamed(r, name)
		if len(ms) != 1 {
			t.Fatalf("%d modules of %s, want 1: %+v", len(ms), name, ms)
		}
		if size := uint64(ms[0].End) - uint64(ms[0].Base); size > 16<<20 {
			t.Errorf("module %s spans %#x bytes: it took in the data mapping of its file", name, size)
		}
		// The module's mappings are its segments; the mmap of the
		// whole file is a mapped file (both PIE: Base is the start).
		data := 0
		for _, mp := range r.Mappings {
			if mp.File != ms[0].Path {
				continue
			}
			inside := mp.Start >= ms[0].Base && mp.End <= ms[0].End
			if inside == (mp.Role == report.RoleFile) {
				t.Errorf("mapping %#x-%#x of %s: role %s, inside the module: %v", uint64(mp.Start), uint64(mp.End), name, mp.Role, inside)
			}
			if !inside {
				data++
			}
		}
		if data != 1 {
			t.Errorf("%d mappings of %s outside its module, want 1 (the program's mmap)", data, name)
		}
	}
	fns := frameFunctions(r)
	want := []string{"__strlen_", "measure", "main", "__libc_start_call_main", "__libc_start_main", "_start"}
	if len(fns) != len(want) {
		t.Fatalf("frames %v, want %v", fns, want)
	}
	for i := range want {
		if !strings.HasPrefix(fns[i], want[i]) {
			t.Errorf("frame #%d is %s, want %s", i, fns[i], want[i])
		}
	}
	if f := r.Threads[0].Frames[0]; f.Module != "libc.so.6" || uint64(f.ModuleOffset) > 4<<20 {
		t.Errorf("frame #0 at %s+%#x, want an offset inside libc.so.6", f.Module, uint64(f.ModuleOffset))
	}
	if gdb, ok := testfixture.OptionalTool(t, "gdb"); ok {
		compareWithGDB(t, gdbFramesOf(t, gdb, opts.Binary, "/", "", core), r, core, opts)
	}
	if eu, ok := testfixture.OptionalTool(t, "eu-stack"); ok {
		compareWithEUStack(t, euStackFrames(t, eu, opts.Binary, core), r)
	}
}

// TestLiveLibraryLoadedTwice: a plugin loaded twice, with dlopen and with
// dlmopen into a new namespace, which loads a second libc.so.6 for it; the
// second copy's plug_crash calls strlen(NULL) in the second libc. Each load
// is a module of its own (two of libplug.so, two of libc.so.6), and the
// frames in both libc loads are named (before, the first load's frames
// showed as libc.so.6+0x21624a, their bias taken from the other load).
// The oracle is eu-stack: gdb does not follow dlmopen's second namespace
// and has no symbol for the second plug_crash.
func TestLiveLibraryLoadedTwice(t *testing.T) {
	t.Parallel()
	dir, core := liveCCore(t, [][]string{
		{"-g", "-O1", "-shared", "-fPIC", "-o", "libplug.so", "plug.c"},
		{"-g", "-O1", "-o", "twice", "twice.c", "-ldl"},
	}, "./twice", "./libplug.so")
	opts := Options{Binary: filepath.Join(dir, "twice")}
	r, err := Analyze(core, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"libplug.so", "libc.so.6"} {
		if ms := modulesNamed(r, name); len(ms) != 2 {
			t.Errorf("%d modules of %s, want 2 (one per load): %+v", len(ms), name, ms)
		}
	}
	fns := frameFunctions(r)
	want := []string{"__strlen_", "plug_crash", "main", "__libc_start_call_main", "__libc_start_main", "_start"}
	if len(fns) != len(want) {
		t.Fatalf("frames %v, want %v", fns, want)
	}
	for i := range want {
		if !strings.HasPrefix(fns[i], want[i]) {
			t.Errorf("frame #%d is %s, want %s", i, fns[i], want[i])
		}
	}
	// Frame 0 is in the dlmopen namespace's libc, frame 3 in the first.
	f0, f3 := r.Threads[0].Frames[0], r.Threads[0].Frames[3]
	if f0.ModuleOffset == f3.ModuleOffset || uint64(f0.ModuleOffset) > 4<<20 || uint64(f3.ModuleOffset) > 4<<20 {
		t.Errorf("libc frames at offsets %#x and %#x, want offsets inside each load", uint64(f0.ModuleOffset), uint64(f3.ModuleOffset))
	}
	if eu, ok := testfixture.OptionalTool(t, "eu-stack"); ok {
		compareWithEUStack(t, euStackFrames(t, eu, opts.Binary, core), r)
	}
}
