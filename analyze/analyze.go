// Package analyze builds a report.Report from a core file: it wires the
// core reader (corefile), the modules and symbols (symbolize) and the
// unwinder (stackmap) together, then explains the crash. Each diagnosis
// lives in a file of its own, run in the order diagnose.go lists. The
// renderers (package render) and the batch scanner (package scan) read
// the Report this package builds.
package analyze

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/coreinput"
	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/internal/x86"
	"github.com/coreview/coreview/stackmap"
	"github.com/coreview/coreview/symbolize"
)

// Options control an analysis.
type Options struct {
	Binary      string   // the executable; default: the path the core names
	Sysroot     string   // prefix for every module path; nothing outside is opened
	SearchPaths []string // directories searched for modules by build-id, then name
	MaxFrames   int      // frames listed per thread (the rest are counted); 0: no limit
	RawSymbols  bool     // keep mangled names
	MaxCoreSize int64    // cap on a decompressed core; 0: the default
	// DebugDirs are searched for separate debug files after the default
	// one: SYSROOT/usr/lib/debug with a sysroot, else /usr/lib/debug.
	DebugDirs []string
	// Debuginfod, if set, fetches missing debug files for the modules
	// that frames fall in. Share one across cores (it remembers misses).
	// It is not part of scan's worker request (json:"-"): a client
	// holds functions and caches, and the worker builds its own.
	Debuginfod *symbolize.Debuginfod `json:"-"`
	// SearchIndex holds symbolize.IndexDir of search directories indexed
	// already (a scan indexes each core's directory once).
	SearchIndex map[string]map[string]string
	// CacheDir, if set, keeps inflated debug information between
	// analyses (symbolize.Options.CacheDir); "" caches nothing.
	CacheDir string
	// Env keeps the whole environment and the command line's
	// credentials in the report; by default the environment holds only
	// the crash-relevant variables and credentials are masked.
	Env bool
}

// debugDirs lists where separate debug files are looked for. With a
// sysroot, the host's /usr/lib/debug is not used: nothing outside the
// sysroot is opened unless named on the command line.
func (o Options) debugDirs() []string {
	def := "/usr/lib/debug"
	if o.Sysroot != "" {
		def = filepath.Join(o.Sysroot, "usr", "lib", "debug")
	}
	return append([]string{def}, o.DebugDirs...)
}

// Session is an opened core with its modules, ready to be unwound and
// reported on. It is what Analyze builds the Report from, and what the
// maps and whatis commands use directly.
type Session struct {
	Path    string
	Core    *corefile.File
	Mem     *corefile.Memory
	Modules *symbolize.Table
	Opts    Options

	ctx      context.Context // the work stops when it is done
	code     *code
	last     *analysis // what the latest Report worked out
	meta     coreinput.Meta
	comp     string
	warnings []string // about the session's own choices, such as the executable

	moduleFiles map[string]bool // mapped files that are code (regions)

	demangleMu sync.Mutex
	demangled  map[string]string // each distinct symbol demangled once

	lookupMu sync.Mutex
	lookups  [512]codeLookup // what symbolizeFrame found, by address

	goLayoutMu sync.Mutex
	goLayouts  map[*symbolize.Module]*goLayout // goLayout's answers, nil for none
	noCgoOnce  sync.Once
	noCgo      bool // goWithoutCgo's answer

	inputsFound <-chan inputsResult // the input search under way, if any
	loads       sync.WaitGroup      // symbol tables loading beside the walks
	prefetched  sync.WaitGroup      // the source prefetch beside the walks (prefetchSource)
	// prefetchPanic is the prefetch's panic, raised again by Report.
	prefetchPanic any
}

// Open opens the core at path and loads its modules.
func Open(path string, opts Options) (*Session, error) {
	return OpenContext(context.Background(), path, opts)
}

// OpenContext is Open for work that may be abandoned: when ctx is done,
// decompression stops and Report's walks end early ("cancelled"), so a
// scan's timed-out analysis does not run on in the background.
func OpenContext(ctx context.Context, path string, opts Options) (*Session, error) {
	// One open of the file gives the core, its compression and
	// systemd-coredump's record of it.
	st, err := coreinput.OpenStored(ctx, path, opts.MaxCoreSize)
	if err != nil {
		return nil, err
	}
	// The metadata comes first: systemd-coredump's record of the
	// executable decides which file the module table opens.
	s := newSession(path, st.Core, opts, st.Meta)
	s.ctx = ctx
	s.comp = st.Compression
	return s, nil
}

// NewSession prepares an opened core for analysis; name is how reports
// refer to it. The session owns c.
func NewSession(name string, c *corefile.File, opts Options) *Session {
	return newSession(name, c, opts, coreinput.Meta{})
}

func newSession(name string, c *corefile.File, opts Options, meta coreinput.Meta) *Session {
	s := &Session{Path: name, Core: c, Opts: opts, meta: meta, ctx: context.Background()}
	s.warnings = append(s.warnings, meta.Warnings...)
	s.Mem = c.Memory(s.openFile)
	o := s.symbolizeOptions()
	s.findFiles(o)
	o.ExePath = s.exePath()
	s.Modules = symbolize.Load(s.regions(), o)
	s.code = &code{s: s, cfi: map[*symbolize.Module]*cfiEntry{}, entryNames: map[uint64]string{}}
	return s
}

// Close releases the core and module files.
func (s *Session) Close() {
	s.loads.Wait() // they read the files about to be closed
	s.prefetched.Wait()
	if s.inputsFound != nil {
		<-s.inputsFound // it reads the files about to be closed
		s.inputsFound = nil
	}
	s.Modules.Close()
	s.Core.Close()
}

// exePath returns the path the process mapped its executable from: the
// NT_FILE path of the mapping holding AT_PHDR (or AT_ENTRY).
func (s *Session) exePath() string {
	for _, at := range []uint64{corefile.AT_PHDR, corefile.AT_ENTRY} {
		if v, ok := s.Core.Aux(at); ok {
			if m := s.Core.Mapping(v); m != nil && m.File != "" {
				return m.File
			}
		}
	}
	return ""
}

// regions lists the file mappings that belong to ELF modules. A file is a
// module when one of its mappings is executable, when it is the
// executable, or when the core holds an ELF header at its offset-0 mapping
// (the kernel dumps that page of every ELF file by default) and the file
// has more than one mapping. A data file the program mapped with mmap is
// none of these: it stays a mapped file, not a module with missing symbols.
func (s *Session) regions() []symbolize.Region {
	var rs []symbolize.Region
	module := map[string]bool{}
	elfHeader := map[string]bool{}
	count := map[string]int{}
	dumped := s.Core.Memory(nil)
	exe := s.exePath()
	for _, m := range s.Core.Mappings {
		if m.File == "" {
			continue
		}
		count[m.File]++
		var magic [4]byte
		switch {
		case m.Perm&corefile.PermX != 0, m.File == exe:
			module[m.File] = true
		case m.FileOff == 0:
			if _, err := dumped.ReadAt(magic[:], m.Start); err == nil && string(magic[:]) == elf.ELFMAG {
				elfHeader[m.File] = true
			}
		}
	}
	// An ELF file mapped whole in one read-only mapping is data: a
	// separate debug file that Rust's backtrace printer or a symbolizer
	// read with mmap. The loader maps a module's segments separately.
	for f := range elfHeader {
		if count[f] > 1 {
			module[f] = true
		}
	}
	s.moduleFiles = module
	for _, m := range s.Core.Mappings {
		if !module[m.File] || strings.HasPrefix(m.File, "/dev/") || strings.HasPrefix(m.File, "/memfd:") {
			continue
		}
		rs = append(rs, symbolize.Region{Start: m.Start, End: m.End, Off: m.FileOff, Path: m.File, Perm: elf.ProgFlag(m.Perm)})
	}
	return rs
}

// isModule reports whether the file mapping m is part of code the program
// loaded (an executable, a library, its ELF headers), as regions decided,
// rather than a data file it mapped. A /memfd: or /dev/ mapping of code
// (JIT, fexecve) is code even though no file on disk backs it. A mapping of
// a module's file outside every module is another mapping of that file,
// not one of its loads (a program reading its own executable with mmap).
func (s *Session) isModule(m *corefile.Mapping) bool {
	if !s.moduleFiles[m.File] {
		return false
	}
	if strings.HasPrefix(m.File, "/dev/") || strings.HasPrefix(m.File, "/memfd:") {
		return true
	}
	return s.Modules.Module(m.Start) != nil
}

func (s *Session) symbolizeOptions() symbolize.Options {
	binary, from := s.Opts.Binary, ""
	if binary == "" && s.meta.Exe != "" && s.Opts.Sysroot != "" {
		// systemd-coredump's record of the executable, inside the
		// sysroot; a symlink there that leads out of it is not followed.
		if p, ok := safefile.Within(s.Opts.Sysroot, s.meta.Exe); ok {
			binary, from = p, "systemd-coredump recorded"
		} else {
			s.warnings = append(s.warnings, fmt.Sprintf("the executable systemd-coredump recorded, %s, resolves outside the sysroot %s (or its symlinks cannot be resolved); not opened", s.meta.Exe, s.Opts.Sysroot))
		}
	}
	o := symbolize.Options{
		ExePath:     s.exePath(),
		Binary:      binary,
		BinaryFrom:  from,
		Sysroot:     s.Opts.Sysroot,
		SearchPaths: s.Opts.SearchPaths,
		Dumped:      s.Core.Memory(nil),
		Mem:         s.Core.Memory(nil),
		DebugDirs:   s.Opts.debugDirs(),
		Debuginfod:  s.Opts.Debuginfod,
		DirIndex:    s.Opts.SearchIndex,
		CacheDir:    s.Opts.CacheDir,
	}
	if v, ok := s.Core.Aux(corefile.AT_PAGESZ); ok && v >= 4096 && v&(v-1) == 0 {
		o.PageSize = v
	}
	if v, ok := s.Core.Aux(corefile.AT_SYSINFO_EHDR); ok && v != 0 {
		if m := s.Core.Mapping(v); m != nil {
			o.VDSO, o.VDSOEnd = v, m.End
		}
	}
	return o
}

// openFile backs file mappings of the address space with the same files
// the module table chose (so --binary and --sysroot apply to memory too).
func (s *Session) openFile(path string) (r io.ReaderAt, size int64, err error) {
	if s.Modules == nil {
		return nil, 0, fmt.Errorf("modules not loaded")
	}
	for _, m := range s.Modules.Modules {
		if m.Path == path && m.ELF() != nil && m.File != "" {
			return m.Reader()
		}
	}
	return nil, 0, fmt.Errorf("%s: no file", path)
}

// code implements stackmap.Code over the session's modules.
type code struct {
	s   *Session
	mu  sync.Mutex
	cfi map[*symbolize.Module]*cfiEntry
	// entryNames holds the entry module's function names by link-time
	// start (entryFuncName).
	entryNames map[uint64]string
}

type cfiEntry struct {
	once sync.Once
	cfi  *stackmap.CFI
	err  error
}

func (c *code) CFI(pc uint64) (*stackmap.CFI, uint64, bool) {
	m := c.s.Modules.Module(pc)
	if m == nil || m.ELF() == nil {
		return nil, 0, false
	}
	c.mu.Lock()
	e, ok := c.cfi[m]
	if !ok {
		e = &cfiEntry{}
		c.cfi[m] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		var secs stackmap.Sections
		secs.EHFrame, secs.EHFrameAddr = m.Section(".eh_frame")
		secs.EHFrameHdr, secs.EHFrameHdrAddr = m.Section(".eh_frame_hdr")
		secs.DebugFrame, _ = m.Section(".debug_frame")
		e.cfi, e.err = stackmap.NewCFI(secs)
	})
	if e.cfi == nil {
		return nil, 0, false
	}
	return e.cfi, m.Bias, true
}

func (c *code) Executable(pc uint64) bool { return c.s.Mem.Executable(pc) }

// FuncStart returns the runtime start of the function symbol holding pc.
func (c *code) FuncStart(pc uint64) (uint64, bool) {
	m := c.s.Modules.Module(pc)
	if m == nil {
		return 0, false
	}
	start, ok := m.LookupStart(m.FileAddr(pc))
	if !ok {
		return 0, false
	}
	return m.RuntimeAddr(start), true
}

// Outermost reports whether pc is in a function where a thread's stack
// starts: the one that holds the program's entry point (AT_ENTRY), which
// nothing called, or a Go runtime function every goroutine or thread of a
// Go program starts in (goTopFrames). Only the module holding the entry
// point is consulted, so this costs no symbol table loads elsewhere.
func (c *code) Outermost(pc uint64, caller bool) (string, bool) {
	entry, ok := c.s.Core.Aux(corefile.AT_ENTRY)
	if !ok || entry == 0 {
		return "", false
	}
	if pc == entry {
		return "reached the program's entry point", true
	}
	m := c.s.Modules.Module(entry)
	if m == nil || !m.Contains(pc) {
		return "", false
	}
	start, ok := m.LookupStart(m.FileAddr(pc))
	if !ok {
		return "", false
	}
	if m.RuntimeAddr(start) == entry {
		return "reached the program's entry point", true
	}
	name := c.entryFuncName(m, pc, start)
	if why, ok := goTopFrames[name]; ok {
		return why, true
	}
	if caller && (name == "runtime.systemstack" || name == "runtime.systemstack.abi0") {
		// systemstack switches to the thread's g0 stack (SP =
		// g0.sched.sp) and calls fn through a register; above that
		// return address lies only what g0's stack held before, and
		// the caller is on the goroutine's own stack (the runtime's
		// traceback stops or switches stacks there too). Its other
		// call, a direct one to gosave_systemstack_switch, runs on the
		// goroutine's stack, whose walk goes on.
		if call, ok := x86.CallBefore(c.s.Mem, pc+1); ok && !call.Direct {
			return systemstackEnd, true
		}
	}
	if caller && (name == "runtime.morestack" || name == "runtime.morestack.abi0") {
		// morestack, called from a goroutine function's prologue, saves
		// the goroutine's context in g.sched and calls newstack on the
		// thread's g0 stack: above it lies g0's stale stack.
		return morestackEnd, true
	}
	if caller && (name == "runtime.clone" || name == "runtime.clone.abi0") {
		// The new thread's side of clone calls mstart; the parent's
		// side calls nothing, so a return address into clone is the
		// child's, at the bottom of the thread's stack.
		return "reached runtime.clone, where every Go thread starts", true
	}
	return "", false
}

// entryFuncName returns the name of the function of the entry module m
// that starts at link-time address start and holds pc, copying it out of
// the string table once: Outermost asks for every frame, and a recursion
// in the program's own code asks for the same few names thousands of times.
func (c *code) entryFuncName(m *symbolize.Module, pc, start uint64) string {
	c.mu.Lock()
	name, ok := c.entryNames[start]
	c.mu.Unlock()
	if ok {
		return name
	}
	sym, _ := m.Lookup(m.FileAddr(pc))
	c.mu.Lock()
	c.entryNames[start] = sym.Name
	c.mu.Unlock()
	return sym.Name
}

// goTopFrames are the Go runtime functions at the bottom of every stack of
// a Go program, which the runtime's own traceback stops at (TOPFRAME or
// SPWRITE functions, src/runtime/asm_amd64.s): nothing on this stack called
// them, so the walk ends there. The linker names the assembly ones with
// .abi0.
var goTopFrames = map[string]string{
	"runtime.goexit":      "reached runtime.goexit, where every goroutine starts",
	"runtime.goexit.abi0": "reached runtime.goexit, where every goroutine starts",
	"runtime.rt0_go":      "reached runtime.rt0_go, the Go program's start",
	// mcall switches to the thread's g0 stack and calls a function that
	// never returns: what lies above it on g0 is stale, and its caller
	// is on the goroutine's own stack.
	"runtime.mcall":       "reached runtime.mcall, which switched to this thread's g0 stack from a goroutine's",
	"runtime.rt0_go.abi0": "reached runtime.rt0_go, the Go program's start",
}

// cfiWarnings reports modules whose CFI failed to parse.
func (c *code) warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for m, e := range c.cfi {
		if e.err != nil {
			out = append(out, fmt.Sprintf("module %s: %v", m.Path, e.err))
		}
	}
	sort.Strings(out)
	return out
}
