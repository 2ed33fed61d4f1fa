package analyze

import (
	"fmt"
	"runtime/debug"

	"github.com/coreview/coreview/corefile"
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
			m := s.meta
			r.Stored.Systemd = &report.Systemd{Comm: m.Comm, UID: m.UID, BootID: m.BootID, PID: m.PID, Time: m.Time,
				Exe: m.Exe, Signal: m.Signal, Hostname: m.Hostname, FromName: m.FromName, FromXattr: m.FromXattr}
		}
	}
	stacks := s.unwindAll()
	s.prepareSource(stacks)
	crashed := c.CrashedThread()
	for i, t := range c.Threads {
		th := report.Thread{TID: t.TID, Crashed: t == crashed, EndReason: string(stacks[i].End), EndDetail: stacks[i].EndDetail}
		th.Frames = s.frames(stacks[i])
		r.Threads = append(r.Threads, th)
	}
	for _, m := range s.Modules.Modules {
		dbg, via := m.DebugFile()
		r.Modules = append(r.Modules, report.Module{Path: m.Path, File: m.File, Base: report.Addr(m.Bias), End: report.Addr(m.End),
			BuildID: m.BuildID, CoreBuildID: m.CoreBuildID, Status: report.ModuleStatus(m.Status), StatusDetail: m.StatusDetail, DebugFile: dbg, DebugVia: via})
	}
	mm := s.buildMemoryMap(stacks)
	r.Mappings = mm.mappings()
	r.Signal = s.signal(mm)
	a := &analysis{s: s, stacks: stacks, mm: mm, report: r}
	s.last = a
	r.Diagnosis = append(r.Diagnosis, a.diagnose()...)
	r.Signature, r.SignatureHash = r.ComputeSignature()
	r.Warnings = append(r.Warnings, c.Warnings...)
	r.Warnings = append(r.Warnings, s.warnings...)
	r.Warnings = append(r.Warnings, s.Modules.Warnings...)
	r.Warnings = append(r.Warnings, s.Modules.SourceWarnings()...)
	r.Warnings = append(r.Warnings, s.code.warnings()...)
	r.Warnings = append(r.Warnings, s.symtabWarnings(stacks)...)
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

// unwindAll walks every thread's stack, one thread after another.
func (s *Session) unwindAll() []*stackmap.Stack {
	threads := s.Core.Threads
	out := make([]*stackmap.Stack, len(threads))
	// Options.MaxFrames limits what the report lists, not the walk: the
	// diagnoses and the signature need the whole stack (its depth, the
	// recursion, the frames above the fault). The unwinder's HardLimit and
	// cycle check bound every walk; Done ends them when the analysis is
	// cancelled (scan --timeout).
	opts := stackmap.Options{Done: s.ctx.Done()}
	for i, t := range threads {
		out[i] = stackmap.Unwind(s.Mem, s.code, threadRegs(t), opts)
	}
	return out
}

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
		s.Modules.FetchDebug(pcs)
	}
	s.Modules.PrepareSource(pcs)
}

// frames symbolizes a stack.
func (s *Session) frames(st *stackmap.Stack) []report.Frame {
	out := make([]report.Frame, len(st.Frames))
	for i := range st.Frames {
		f := &st.Frames[i]
		out[i] = s.frame(i, f)
		if i > 0 {
			// Functions that tail-called their way from this frame
			// to the one below: listed before this frame's own
			// inlined calls, innermost first, as gdb shows them.
			if tc := s.tailCallFrames(&st.Frames[i-1], f, i); len(tc) > 0 {
				out[i].Inlined = append(tc, out[i].Inlined...)
			}
		}
	}
	return out
}

func (s *Session) frame(i int, f *stackmap.Frame) report.Frame {
	fr := report.Frame{Index: i, PC: report.Addr(f.PC), SP: report.Addr(f.SP), CFA: report.Addr(f.CFA), Method: report.Method(f.Method), Signal: f.Signal}
	lookup := f.LookupPC()
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
	if sym, ok := m.Lookup(m.FileAddr(lookup)); ok {
		fr.Symbol = sym.Name
		fr.Offset = uint64(fr.PC) - m.RuntimeAddr(sym.Addr)
		fr.Function = s.demangle(sym.Name)
	}
	locs := m.Source(m.FileAddr(lookup))
	if len(locs) == 0 {
		return
	}
	last := locs[len(locs)-1]
	fr.File, fr.Line, fr.Column = last.File, last.Line, last.Column
	for _, l := range locs[:len(locs)-1] {
		in := *fr
		in.Inlined = nil // fr.Inlined holds the frames before this one
		in.Inline, in.Method, in.Offset = true, report.MethodInline, 0
		in.Symbol, in.Function = l.Function, s.demangle(l.Function)
		in.File, in.Line, in.Column = l.File, l.Line, l.Column
		fr.Inlined = append(fr.Inlined, in)
	}
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
	return p
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
