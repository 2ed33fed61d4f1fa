package analyze

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/redact"
	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
	"github.com/coreview/coreview/symbolize"
)

// Analyze opens the core at path and builds its full report.
func Analyze(path string, opts Options) (*report.Report, error) {
	s, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Analyze()
}

// Analyze is Report for a core read from a file that may change under it:
// reads of mapped files fault instead of killing the process with SIGBUS,
// and a core or module file that changed while it was read is the
// analysis's error ("changed while being read"), not a report built from
// bytes that were not the core's.
func (s *Session) Analyze() (r *report.Report, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if ferr := safefile.FaultError(p); ferr != nil {
				r, err = nil, ferr
				return
			}
			panic(p)
		}
	}()
	r = s.Report()
	if err := s.Core.Changed(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	for _, m := range s.Modules.Modules {
		if err := m.Changed(); err != nil {
			return nil, fmt.Errorf("%s: module %s: %w", s.Path, m.Path, err)
		}
	}
	return r, nil
}

// Report unwinds every thread and builds the report.
func (s *Session) Report() *report.Report {
	c := s.Core
	r := &report.Report{Schema: report.Schema, Core: s.Path, Diagnosis: []report.Diagnosis{}, Warnings: []string{}}
	r.Process = s.process()
	if s.comp != "" || !s.meta.Empty() {
		r.Stored = &report.Stored{Compression: s.comp}
		if !s.meta.Empty() {
			sd := s.meta.Systemd
			r.Stored.Systemd = &sd
		}
	}
	stacks := s.unwindAll()
	mm := s.buildMemoryMap(stacks)
	if t := c.CrashedThread(); t != nil && t.Signal != 0 && len(stacks) > 0 {
		s.inputsFound = s.startInputs(t, stacks[0], mm)
	}
	s.prepareSource(stacks)
	crashed := c.CrashedThread()
	// A snapshot: the thread that dumped core was handling no signal
	// (pr_cursig 0), as in gdb's gcore of a running process, whose
	// NT_SIGINFO holds only the SIGSTOP gdb attached with. No thread
	// crashed, and there is no crash to diagnose.
	r.Snapshot = crashed != nil && crashed.Signal == 0
	if r.Snapshot {
		crashed = nil
	}
	r.Threads = make([]report.Thread, len(c.Threads))
	build := func(i int) {
		t := c.Threads[i]
		th := report.Thread{TID: t.TID, Crashed: t == crashed, EndReason: string(stacks[i].End), EndDetail: stacks[i].EndDetail}
		if n := s.Opts.MaxFrames; n > 0 && t != crashed && len(stacks[i].Frames) > n {
			// Another thread's frames past --max-frames are counted, not
			// built: only the crashed thread's diagnoses need its whole
			// stack, and stack-segments asks frameName for the rest.
			th.Frames = s.frames(&stackmap.Stack{Frames: stacks[i].Frames[:n]})
			th.FramesOmitted = len(stacks[i].Frames) - n
		} else {
			th.Frames = s.frames(stacks[i])
		}
		th.Registers = registers(t)
		r.Threads[i] = th
	}
	// One thread after another: side by side (tried) saved a millisecond
	// on the rustc core, and made which DWARF error a module's warning
	// names depend on the scheduling.
	for i := range c.Threads {
		build(i)
	}
	var sys report.System
	for _, m := range s.Modules.Modules {
		dbg, via := m.DebugFile()
		r.Modules = append(r.Modules, report.Module{Path: m.Path, File: m.File, Base: report.Addr(m.Bias), End: report.Addr(m.End),
			BuildID: m.BuildID, CoreBuildID: m.CoreBuildID, Status: report.ModuleStatus(m.Status), StatusDetail: m.StatusDetail, DebugFile: dbg, DebugVia: via,
			Compilers: m.Compilers()})
		if libc, ok := m.LibC(); ok && (sys.LibC == "" || len(libc) > len(sys.LibC)) {
			sys.LibC = libc
		}
		if v, salt, ok := m.KernelVersion(); ok && m.Status == symbolize.StatusMemory {
			sys.Kernel, sys.KernelBuildSalt = v, salt
		}
	}
	if sys.LibC == "" {
		// A static executable carries its C library inside.
		if entry, ok := s.Core.Aux(corefile.AT_ENTRY); ok {
			if exe := s.Modules.Module(entry); exe != nil {
				sys.LibC, _ = exe.GlibcBanner()
			}
		}
	}
	if sys != (report.System{}) {
		r.System = &sys
	}
	r.Mappings = mm.mappings()
	a := &analysis{s: s, stacks: stacks, mm: mm, report: r}
	s.last = a
	if !r.Snapshot {
		r.Signal = s.signal(mm)
		r.Diagnosis = append(r.Diagnosis, a.diagnose()...)
		if fc := a.faultOf(); fc != nil {
			r.SignatureStart = fc.first
		}
	}
	if !r.Snapshot {
		// A snapshot (gcore) has no crash: no code at a crash, no
		// crashed thread's input.
		a.crashSite()
	}
	r.Signature, r.SignatureHash = r.ComputeSignature()
	// The prefetch's walks may reach modules and units the report's did
	// not (past the frame budget): their warnings are in, whenever it
	// ended.
	s.takePrefetch()
	r.Warnings = append(r.Warnings, c.Warnings...)
	r.Warnings = append(r.Warnings, s.warnings...)
	r.Warnings = append(r.Warnings, s.Modules.Warnings...)
	r.Warnings = append(r.Warnings, s.Modules.SourceWarnings()...)
	r.Warnings = append(r.Warnings, s.code.warnings()...)
	r.Warnings = append(r.Warnings, s.symtabWarnings(stacks)...)
	if w := leaderGone(r); w != "" {
		r.Warnings = append(r.Warnings, w)
	}
	for i, st := range stacks {
		if st.End == stackmap.EndUnreadable || st.End == stackmap.EndNoUnwind || st.End == stackmap.EndCancelled {
			r.Warnings = append(r.Warnings, fmt.Sprintf("thread %d: stack ends early after %d frames (%s: %s)",
				c.Threads[i].TID, len(st.Frames), st.End, st.EndDetail))
		}
	}
	if n := s.Opts.MaxFrames; n > 0 {
		for i := range r.Threads {
			if t := &r.Threads[i]; len(t.Frames) > n {
				t.FramesOmitted = len(t.Frames) - n
				t.Frames = t.Frames[:n]
			}
		}
	}
	return r
}

// symtabWarnings reports malformed symbol tables of the modules the stacks
// pass through: those are the ones whose symbols the frames were looked up
// in, so no other module's table is read for this.
func (s *Session) symtabWarnings(stacks []*stackmap.Stack) []string {
	seen := map[*symbolize.Module]bool{}
	var out []string
	for _, st := range stacks {
		for i := range st.Frames {
			m := s.Modules.Module(st.Frames[i].LookupPC())
			if m == nil || seen[m] {
				continue
			}
			seen[m] = true
			if err := m.SymtabError(); err != nil {
				out = append(out, fmt.Sprintf("module %s: %v", m.Path, err))
			}
		}
	}
	return out
}

// threadRegs converts a thread's NT_PRSTATUS registers to the unwinder's.
func threadRegs(t *corefile.Thread) stackmap.Regs {
	var regs stackmap.Regs
	for n := 0; n <= stackmap.RIP; n++ {
		if v, ok := t.Regs.DWARF(n); ok {
			regs.Set(n, v)
		}
	}
	return regs
}

// unwindAll walks every thread's stack, one thread after another (the
// frame budget below depends on the order), while the symbol tables of the
// modules the threads stopped in load beside the walks: the frames need
// them next, and the unwinder itself asks for function starts.
func (s *Session) unwindAll() []*stackmap.Stack {
	threads := s.Core.Threads
	out := make([]*stackmap.Stack, len(threads))
	if s.Opts.Debuginfod == nil {
		// (A debug file debuginfod fetches later replaces what this
		// would read.)
		s.startPrefetch(threads)
	}
	seen := map[*symbolize.Module]bool{}
	for _, t := range threads {
		regs := threadRegs(t)
		pc := regs.PC()
		if m := s.Modules.Module(pc); m != nil && !seen[m] {
			seen[m] = true
			s.loads.Add(1)
			go func() {
				defer s.loads.Done()
				// The lookup reads mapped files (a cached index is
				// searched in its entry's mapping) on a goroutine of its
				// own: a file that shrank faults here, and Analyze's
				// checks report it, instead of a fatal SIGBUS.
				safefile.Guard(func() error { m.Lookup(m.FileAddr(pc)); return nil })
			}()
		}
	}
	// The loads are not waited for here: the source lines' DWARF is
	// inflated next, beside them (a first analysis of a rustc core reads
	// librustc_driver's 165,000 symbols while glibc's DWARF inflates), and
	// a lookup that needs a table still loading waits for it. Close waits
	// for them all.
	// Options.MaxFrames limits what the report lists, not the walk: the
	// diagnoses and the signature need the whole stack (its depth, the
	// recursion, the frames above the fault). The unwinder's HardLimit and
	// cycle check bound every walk; Done ends them when the analysis is
	// cancelled (scan --timeout).
	//
	// The frames all walks keep are bounded too (maxTotalFrames): eight
	// threads sharing one 2^21-frame chain kept 16 million frames, twice
	// (the walk's and the report's), 6 GiB. The crashed thread, walked
	// first, may keep maxCrashedFrames; the other threads share what is
	// left, and once it is spent each keeps its top minThreadFrames.
	opts := stackmap.Options{Done: s.ctx.Done()}
	budget := maxTotalFrames
	spent := 0
	for i, t := range threads {
		o := opts
		o.MaxFrames = min(maxCrashedFrames, max(budget, minThreadFrames))
		st := stackmap.Unwind(s.Mem, s.code, threadRegs(t), o)
		s.resumeGoroutine(t, st, o)
		if st.End == stackmap.EndFrameLimit && o.MaxFrames < maxCrashedFrames {
			st.EndDetail = fmt.Sprintf("stopped after %d frames: the %d frames all threads may keep together were spent", len(st.Frames), maxTotalFrames)
			spent++
		}
		budget -= len(st.Frames)
		out[i] = st
	}
	if spent > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("the threads' stacks hold more than the %d frames kept for all threads together: %d threads' walks were stopped early (their top %d frames or more are listed)", maxTotalFrames, spent, minThreadFrames))
	}
	return out
}

// startPrefetch runs prefetchSource beside the walks. It reads mapped
// cache entries on a goroutine of its own, as the symbol-table loads do. A
// panic of its own (a bug) is raised again on Analyze's goroutine by
// takePrefetch, as the input search's is: there the CLI's and scan's
// recovers see it; on its own goroutine it would end the process.
func (s *Session) startPrefetch(threads []*corefile.Thread) {
	s.prefetched.Add(1)
	go func() {
		defer s.prefetched.Done()
		defer func() {
			if p := recover(); p != nil {
				s.prefetchPanic = p
			}
		}()
		safefile.Guard(func() error { s.prefetchSource(threads); return nil })
	}()
}

// takePrefetch waits for the prefetch and raises its panic, if it had one.
func (s *Session) takePrefetch() {
	s.prefetched.Wait()
	if p := s.prefetchPanic; p != nil {
		s.prefetchPanic = nil
		panic(p)
	}
}

// prefetchSource walks the top prefetchFrames frames of each thread, at
// most prefetchTotal in all, and decodes the DWARF units that hold them
// that need no inflating (symbolize.Table.PrefetchSource), beside the
// crashed thread's walk: the other threads' stacks end in the same
// start_thread and clone3 as the crashed one's, and wait in the same C
// library calls. prepareSource, after the walks, does the rest.
func (s *Session) prefetchSource(threads []*corefile.Thread) {
	seen := map[uint64]bool{}
	var pcs []uint64
	total := 0
	for _, t := range threads {
		if total >= prefetchTotal {
			break
		}
		st := stackmap.Unwind(s.Mem, s.code, threadRegs(t), stackmap.Options{Done: s.ctx.Done(), MaxFrames: prefetchFrames})
		total += len(st.Frames)
		for i := range st.Frames {
			if pc := st.Frames[i].LookupPC(); !seen[pc] {
				seen[pc] = true
				pcs = append(pcs, pc)
			}
		}
	}
	s.Modules.PrefetchSource(pcs)
}

// The frames prefetchSource walks.
const (
	prefetchFrames = 64
	prefetchTotal  = 1024
)

// Frame budgets of unwindAll: the crashed thread's walk may keep up to
// maxCrashedFrames (an 8 MiB stack overflowed by 16-byte frames is 512Ki
// of them; this is twice that), all threads together maxTotalFrames, and
// a thread walked after the budget is spent its top minThreadFrames. A
// frame costs about 800 bytes, walk and report together, so the frames
// stay near 1 GiB, within the 2 GiB an analysis is promised.
const (
	maxCrashedFrames = 1 << 20
	maxTotalFrames   = maxCrashedFrames + 1<<18
	minThreadFrames  = 16
)

// prepareSource makes the debug information of the modules the stacks run
// through ready before they are symbolized: debug files fetched from
// debuginfod, DWARF indexes built and units decoded, in parallel.
func (s *Session) prepareSource(stacks []*stackmap.Stack) {
	seen := map[uint64]bool{}
	var pcs []uint64
	for _, st := range stacks {
		for i := range st.Frames {
			if pc := st.Frames[i].LookupPC(); !seen[pc] {
				seen[pc] = true
				pcs = append(pcs, pc)
			}
		}
	}
	if s.Opts.Debuginfod != nil {
		// A fetched debug file replaces the symbol tables read without
		// it: the loads unwindAll began must be over first, or one that
		// began before the fetch keeps its table without the file's.
		s.loads.Wait()
		s.Modules.FetchDebug(pcs)
	}
	s.Modules.PrepareSource(pcs)
}

// frames symbolizes a stack.
func (s *Session) frames(st *stackmap.Stack) []report.Frame {
	out := make([]report.Frame, len(st.Frames))
	chains := map[[2]uint64]*tailChain{}
	for i := range st.Frames {
		f := &st.Frames[i]
		out[i] = s.frame(i, f)
		if i > 0 {
			// Functions that tail-called their way from this frame
			// to the one below: listed before this frame's own
			// inlined calls, innermost first, as gdb shows them.
			if tc := s.tailCallFrames(&st.Frames[i-1], f, i, chains); len(tc) > 0 {
				out[i].Inlined = append(tc, out[i].Inlined...)
			}
		}
	}
	return out
}

// frame symbolizes frame i at the address its code is looked up at
// (f.LookupPC: a return address's call, or the PC itself for a frame
// entered without a call, such as the one under Go's runtime.sigpanic,
// where the unwinder leaves Caller unset).
func (s *Session) frame(i int, f *stackmap.Frame) report.Frame {
	lookup := f.LookupPC()
	fr := report.Frame{Index: i, PC: report.Addr(f.PC), SP: report.Addr(f.SP), CFA: report.Addr(f.CFA), Method: report.Method(f.Method), Signal: f.Signal}
	m := s.Modules.Module(lookup)
	if m == nil {
		return fr
	}
	fr.Module = m.Name()
	fr.ModuleOffset = report.Addr(f.PC - m.Start)
	fr.Unreliable = m.Status == symbolize.StatusMismatch
	s.symbolizeFrame(&fr, m, lookup)
	return fr
}

// symbolizeFrame names the code at lookup in module m (pc or, for a
// caller, its return address minus one) into fr: its symbol and offset
// from fr.PC, its source position, and the calls inlined there, innermost
// first. Stack frames and whatis both name code this way.
func (s *Session) symbolizeFrame(fr *report.Frame, m *symbolize.Module, lookup uint64) {
	c := s.lookupCode(m, lookup)
	c.setSymbol(fr)
	if len(c.locs) == 0 {
		return
	}
	last := c.locs[len(c.locs)-1]
	fr.File, fr.Line, fr.Column = last.File, last.Line, last.Column
	for k, l := range c.locs[:len(c.locs)-1] {
		in := *fr
		in.Inlined = nil // fr.Inlined holds the frames before this one
		in.Inline, in.Method, in.Offset = true, report.MethodInline, 0
		in.Symbol, in.Function = l.Function, c.inlined[k]
		in.File, in.Line, in.Column = l.File, l.Line, l.Column
		fr.Inlined = append(fr.Inlined, in)
	}
}

// codeLookup is what one code address of a module was found to be: its
// symbol, demangled, and its source positions, inlined calls first.
type codeLookup struct {
	m        *symbolize.Module
	addr     uint64
	sym      symbolize.Symbol
	symOK    bool
	function string
	locs     []symbolize.Location
	inlined  []string // the functions of locs but the last, demangled
}

// setSymbol names fr by the ELF symbol, if one holds the code.
func (c *codeLookup) setSymbol(fr *report.Frame) {
	if c.symOK {
		fr.Symbol = c.sym.Name
		fr.Offset = uint64(fr.PC) - c.m.RuntimeAddr(c.sym.Addr)
		fr.Function = c.function
	}
}

// lookupCode looks up the code at lookup in m, remembering the answer: a
// recursion's frames ask for the same few return addresses thousands of
// times (10,599 frames of rustc's lexer, a handful of addresses).
func (s *Session) lookupCode(m *symbolize.Module, lookup uint64) codeLookup {
	slot := &s.lookups[(lookup*0x9e3779b97f4a7c15)>>55]
	s.lookupMu.Lock()
	if slot.m == m && slot.addr == lookup {
		c := *slot
		s.lookupMu.Unlock()
		return c
	}
	s.lookupMu.Unlock()
	c := codeLookup{m: m, addr: lookup}
	c.sym, c.symOK = m.Lookup(m.FileAddr(lookup))
	if c.symOK {
		c.function = s.demangle(c.sym.Name)
	}
	c.locs = m.Source(m.FileAddr(lookup))
	for _, l := range c.locs[:max(len(c.locs)-1, 0)] {
		c.inlined = append(c.inlined, s.demangle(l.Function))
	}
	s.lookupMu.Lock()
	*slot = c
	s.lookupMu.Unlock()
	return c
}

// demangle returns a symbol's readable name. A 10,000-frame recursion asks
// for the same few names thousands of times, so each is demangled once.
func (s *Session) demangle(name string) string {
	if s.Opts.RawSymbols || name == "" {
		return name
	}
	s.demangleMu.Lock()
	defer s.demangleMu.Unlock()
	if d, ok := s.demangled[name]; ok {
		return d
	}
	if s.demangled == nil {
		s.demangled = map[string]string{}
	}
	d := symbolize.Demangle(name)
	s.demangled[name] = d
	return d
}

func (s *Session) process() report.Process {
	c := s.Core
	p := report.Process{Exe: s.exePath()}
	if c.Process != nil {
		p.PID, p.Command = c.Process.PID, c.Process.Command
	}
	if cl, ok := s.Core.Memory(nil).CommandLine(); ok {
		p.Args, p.Env = cl.Argv, cl.Envp
		if cl.Cut != "" {
			s.warnings = append(s.warnings, "command line: "+cl.Cut)
		}
	} else if c.Process != nil && c.Process.Args != "" {
		p.Args = []string{c.Process.Args}
	}
	if p.Args == nil {
		p.Args = []string{}
	}
	if !s.Opts.Env {
		// Reports are pasted into public trackers: no tokens, no
		// passwords unless asked for.
		masked := redact.Args(p.Args)
		if len(p.Args) == 1 && c.Process != nil && p.Args[0] == c.Process.Args {
			masked = []string{redact.CommandLine(p.Args[0])}
		}
		for i := range masked {
			if masked[i] != p.Args[i] {
				p.Redacted = true
			}
		}
		p.Args = masked
		p.Env, p.EnvOmitted = redact.Env(p.Env)
		for _, e := range p.Env {
			if strings.Contains(e, redact.Mask) {
				p.Redacted = true
			}
		}
	}
	return p
}

// registers lists a thread's registers by gdb's names.
func registers(t *corefile.Thread) report.Registers {
	named := t.Regs.Named()
	out := make(report.Registers, len(named))
	for i, r := range named {
		out[i] = report.Register{Name: r.Name, Value: r.Value}
	}
	return out
}

func (s *Session) signal(mm *memoryMap) *report.Signal {
	c := s.Core
	si := c.Siginfo
	t := c.CrashedThread()
	if si == nil {
		if t == nil || t.Signal == 0 {
			return nil
		}
		return &report.Signal{Number: t.Signal, Name: report.SignalName(t.Signal), CodeName: "unknown", Thread: t.TID}
	}
	sig := &report.Signal{Number: si.Signo, Name: report.SignalName(si.Signo), Code: si.Code, CodeName: report.CodeName(si.Signo, si.Code)}
	if t != nil {
		sig.Thread = t.TID
	}
	if si.HasAddr() {
		a := report.Addr(si.Addr)
		sig.Address = &a
		sig.Where = mm.describe(si.Addr)
	} else if si.Code == report.SI_KERNEL && si.Fault() {
		sig.Where = "none given: the kernel reports a general-protection fault (SI_KERNEL) without an address"
	} else if si.Signo == report.SIGBUS && si.Code == report.BUS_ADRALN {
		sig.Where = "none given: the kernel reports an alignment-check fault without an address"
	} else if si.Code <= 0 {
		sig.SenderPID = si.PID
	}
	return sig
}

func nameOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// leaderGone says when the process's main thread (the one whose tid is
// the pid) is not among the core's threads: the kernel dumps the threads
// still alive (fs/coredump.c zap_threads), so a main thread that called
// pthread_exit while others ran on is missing, and a reader counting
// "threads 1" would take the crashed thread for the whole process.
func leaderGone(r *report.Report) string {
	pid := r.Process.PID
	if pid == 0 || len(r.Threads) == 0 {
		return ""
	}
	for _, t := range r.Threads {
		if t.TID == pid {
			return ""
		}
	}
	n := fmt.Sprintf("%d threads", len(r.Threads))
	if len(r.Threads) == 1 {
		n = "1 thread"
	}
	return fmt.Sprintf("the main thread (tid %d) is not in the core, which holds %s: it had most likely exited (pthread_exit) before the dump, and the kernel dumps only the threads still alive", pid, n)
}
