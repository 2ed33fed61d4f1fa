package analyze

import (
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unsafe"

	"github.com/coreview/coreview/analyze/inputs"
	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// Bounds on the work and files the input search does.
const (
	// inputSlotBytes caps the stack bytes read for pointers, innermost
	// frames first: 4 MiB is the recursion of 40,000 100-byte frames.
	inputSlotBytes = 4 << 20
	// inputFrameSlots caps the bytes read from one frame.
	inputFrameSlots = 4096
	// maxInputHolders caps the values collected: 16 registers of each of
	// a 2-million-frame walk would be 32 million.
	maxInputHolders = 1 << 20
	// maxArgFiles caps the command-line files opened to match buffers.
	maxArgFiles = 32
	// maxArgFileSize caps the size of a command-line file compared.
	maxArgFileSize = 64 << 20
)

// gdbRegNames names the registers by DWARF number, as gdb does.
var gdbRegNames = [...]string{"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}

// crashSite adds what the crashed thread was doing to the report: the
// code at its PC (or at the call that left code) and the input it was
// reading.
func (a *analysis) crashSite() {
	ct := a.crashed()
	if ct == nil {
		return
	}
	if lines, callSite := a.crashListing(); len(lines) > 0 {
		for _, l := range lines {
			ct.thread.Disassembly = append(ct.thread.Disassembly, report.Instruction{Address: report.Addr(l.Addr),
				Bytes: hex.EncodeToString(l.Bytes), Instruction: l.Text, Current: l.Current})
		}
		ct.thread.DisassemblyAt = report.ListingPC
		if callSite {
			ct.thread.DisassemblyAt = report.ListingCallSite
		}
	}
	found, ok := a.s.takeInputs()
	if !ok {
		found = a.findInputs()
	}
	for _, in := range found {
		ri := report.Input{Size: in.Size, Offset: in.Offset, Line: in.Line, Column: in.Column,
			Excerpt: inputs.Escape(in.Excerpt), Address: report.Addr(in.Address), Start: report.Addr(in.Start),
			Source: string(in.Source), HeldBy: in.Holder.HeldBy(), Frame: in.Holder.Frame, Frames: in.Frames, FramesAtLeast: in.FramesCut}
		if in.File != "" {
			f := in.File
			ri.File = &f
		}
		a.report.Inputs = append(a.report.Inputs, ri)
	}
}

// findInputs looks for the input the crashed thread was reading: the
// buffers of text its frames' registers and stack slots point into.
func (a *analysis) findInputs() []inputs.Input {
	ct := a.crashed()
	if ct == nil {
		return nil
	}
	return a.inputsOf(ct.core, ct.stack)
}

// inputsOf is findInputs for thread t, whose stack is st.
func (a *analysis) inputsOf(t *corefile.Thread, st *stackmap.Stack) []inputs.Input {
	s := a.s
	if len(st.Frames) == 0 {
		return nil
	}
	files, closeFiles := s.argFiles()
	defer closeFiles()
	open, closeData := s.inputFileOpener()
	defer closeData()
	mem := s.Core.Memory(open)
	cut := false
	found := inputs.Find(mem, a.inputRegions(), inputHolders(mem, t, st, &cut), files)
	for i := range found {
		found[i].FramesCut = cut
	}
	return found
}

// startInputs begins the input search of the crashed thread t, whose
// stack is st, beside the symbolization that comes next: the search needs
// only the stack and the memory map, and on rustc's 10,599-frame lexer
// overflow it takes milliseconds the second CPU has. crashSite takes the
// answer (takeInputs); Close waits for it.
func (s *Session) startInputs(t *corefile.Thread, st *stackmap.Stack, mm *memoryMap) <-chan inputsResult {
	ch := make(chan inputsResult, 1)
	a := &analysis{s: s, stacks: []*stackmap.Stack{st}, mm: mm}
	go func() {
		var res inputsResult
		defer func() { ch <- res }()
		// A panic, or a fault in a mapped file that changed, is raised
		// again where the answer is taken, in Analyze's goroutine, as when
		// the search ran there: Analyze reports the change, the CLI's and
		// scan's recovers see the bug; on this goroutine either would end
		// the process.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if p := recover(); p != nil {
				res = inputsResult{panicked: p}
			}
		}()
		res.found = a.inputsOf(t, st)
	}()
	return ch
}

// inputsResult is what the search startInputs began came to.
type inputsResult struct {
	found    []inputs.Input
	panicked any // the search's panic, nil when it ended
}

// takeInputs returns what the search startInputs began found, waiting for
// it; ok is false when none was begun. The search's panic is raised here.
func (s *Session) takeInputs() (found []inputs.Input, ok bool) {
	if s.inputsFound == nil {
		return nil, false
	}
	res := <-s.inputsFound
	s.inputsFound = nil
	if res.panicked != nil {
		panic(res.panicked)
	}
	return res.found, true
}

// inputHolders yields the values the thread's frames hold, innermost
// first: frame 0's registers, the registers the unwinder recovered for
// each outer frame (those that differ from the frame below's), then each
// frame's stack slots from its SP up to its CFA. They are yielded, not
// collected: on a 10,599-frame recursion a slice of them was 18 MB.
//
// *cut is set when a cap stopped the walk before the outermost frame's
// values: the frames holding a pointer are then counted from fewer than
// all of them.
func inputHolders(mem inputs.Memory, t *corefile.Thread, st *stackmap.Stack, cut *bool) iter.Seq[inputs.Held] {
	return func(yield func(inputs.Held) bool) {
		budget := inputSlotBytes
		// The slots are read straight into words: x86-64 is little-endian,
		// and decoding 4 MiB of slots word by word took half a
		// millisecond of the search.
		var words [inputFrameSlots / 8]uint64
		slot := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)
		var one [1]uint64
		cur := st.Regs
		n := 0
		for i := range st.Frames {
			f := &st.Frames[i]
			// A register whose value frame i-1 had too is passed
			// through, not held again.
			var changed uint32
			if i > 0 {
				changed = st.AdvanceRegsChanged(i, &cur)
			}
			for r, name := range gdbRegNames {
				var v uint64
				var ok bool
				if i == 0 {
					v, ok = t.Regs.DWARF(r)
				} else if changed&(1<<r) != 0 {
					v, ok = cur.Get(r)
				}
				if ok && r != stackmap.RSP {
					if n++; n > maxInputHolders {
						*cut = true
						return
					}
					one[0] = v
					if !yield(inputs.Held{Frame: i, Where: name, Values: one[:]}) {
						return
					}
				}
			}
			if f.CFA <= f.SP {
				continue
			}
			if budget <= 0 {
				*cut = true
				continue
			}
			k := min(int(f.CFA-f.SP), inputFrameSlots, budget)
			got, _ := mem.ReadAt(slot[:k&^7], f.SP)
			budget -= k
			k = min(got/8, maxInputHolders-n)
			if n += k; k > 0 && !yield(inputs.Held{Frame: i, Where: "stack slot", Values: words[:k]}) {
				return
			}
			if n >= maxInputHolders {
				*cut = i < len(st.Frames)-1
				return
			}
		}
	}
}

func le64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// inputRegions lists the mappings that may hold an input: the heap,
// anonymous memory, stacks and data files the program mapped; not the
// modules' own mappings (code, string constants, .data), guards, the vDSO.
// The main stack's argv and environment strings are excluded.
func (a *analysis) inputRegions() []inputs.Region {
	c := a.s.Core
	var out []inputs.Region
	argLo, argHi := a.argStrings()
	for i, m := range c.Mappings {
		if m.Perm&corefile.PermR == 0 {
			continue
		}
		r := inputs.Region{Start: m.Start, End: m.End, FileSize: -1}
		switch a.mm.roles[i] {
		case report.RoleHeap:
			r.Source = inputs.SourceHeap
		case report.RoleAnon, report.RoleBSS:
			r.Source = inputs.SourceAnon
		case report.RoleStack, report.RoleMainStack, report.RoleStackSegment, report.RoleStackUnguarded, report.RoleSigaltstack:
			r.Source = inputs.SourceStack
		case report.RoleFile:
			if strings.HasPrefix(m.File, "/dev/") || strings.HasPrefix(m.File, "/memfd:") {
				continue
			}
			r.Source, r.File, r.FileOff = inputs.SourceFile, m.File, m.FileOff
			r.FileSize = a.s.dataFileSize(m.File)
		default:
			continue
		}
		if argHi > argLo && argLo >= m.Start && argLo < m.End {
			r.Exclude = [2]uint64{argLo, min(argHi, m.End)}
		}
		out = append(out, r)
	}
	return out
}

// argStrings returns the part of the initial stack that holds the argv
// and environment strings and the executable's name: the kernel copies
// them to the top of the stack (fs/exec.c: the file name first, then the
// environment, then argv, each below the last), so they run from argv[0]
// up to AT_EXECFN's string and its NUL.
func (a *analysis) argStrings() (lo, hi uint64) {
	execfn, ok := a.s.Core.Aux(corefile.AT_EXECFN)
	if !ok {
		return 0, 0
	}
	m := a.s.Core.Mapping(execfn)
	if m == nil {
		return 0, 0
	}
	argv, envp, ok := a.s.Core.Memory(nil).Args()
	if !ok {
		return execfn, m.End
	}
	total := uint64(0)
	for _, s := range append(argv, envp...) {
		total += uint64(len(s)) + 1
	}
	if total > execfn-m.Start {
		return m.Start, m.End
	}
	return execfn - total, m.End
}

// resolve maps a path the process used to the file coreview may open: under
// the sysroot when one is given, else the path itself. A relative path is
// taken from the process's PWD, when its environment has an absolute one.
// Without one (a shell exports PWD only when it got it), and when the core
// is read on the machine it was written on (no sysroot, or /), it is taken
// from the core's own directory: a relative core_pattern writes the core
// in the crashing process's working directory. That is a guess, checked
// by the caller comparing the file's bytes with the buffer's; process is
// then the path as the process was given it. ok is false for paths that
// lead outside the sysroot, or that cannot be placed.
func (s *Session) resolve(path string, env []string) (process, local string, ok bool) {
	if !filepath.IsAbs(path) {
		pwd := ""
		for _, e := range env {
			if v, ok := strings.CutPrefix(e, "PWD="); ok && filepath.IsAbs(v) {
				pwd = v
			}
		}
		if pwd == "" {
			if (s.Opts.Sysroot == "" || s.Opts.Sysroot == "/") && s.Path != "" {
				return path, filepath.Join(filepath.Dir(s.Path), path), true
			}
			return "", "", false
		}
		path = filepath.Join(pwd, path)
	}
	if s.Opts.Sysroot == "" {
		return path, path, true
	}
	local, ok = safefile.Within(s.Opts.Sysroot, path)
	return path, local, ok
}

// argFiles opens the regular files the command line names (argv after the
// program's name, and the values of --flag=value arguments), at most
// maxArgFiles of at most maxArgFileSize bytes each. FIFOs, devices and
// pseudo files are never opened.
func (s *Session) argFiles() ([]inputs.File, func()) {
	argv, envp, ok := s.Core.Memory(nil).Args()
	var files []inputs.File
	var closers []io.Closer
	done := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	if !ok || len(argv) < 2 {
		return nil, done
	}
	seen := map[string]bool{}
	for _, arg := range argv[1:] {
		if len(files) == maxArgFiles {
			break
		}
		if strings.HasPrefix(arg, "-") {
			_, v, ok := strings.Cut(arg, "=")
			if !ok {
				continue
			}
			arg = v
		}
		if arg == "" || seen[arg] {
			continue
		}
		seen[arg] = true
		process, local, ok := s.resolve(arg, envp)
		if !ok {
			continue
		}
		f, err := safefile.Open(local)
		if err != nil {
			continue
		}
		st, err := f.Stat()
		if err != nil || st.Size() == 0 || st.Size() > maxArgFileSize {
			f.Close()
			continue
		}
		closers = append(closers, f)
		files = append(files, inputs.File{Name: process, Size: st.Size(), R: f})
	}
	return files, done
}

// dataFileSize is the size of a data file the program mapped, opened under
// the sysroot, or -1.
func (s *Session) dataFileSize(path string) int64 {
	_, local, ok := s.resolve(path, nil)
	if !ok {
		return -1
	}
	f, err := safefile.Open(local)
	if err != nil {
		return -1
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return -1
	}
	return st.Size()
}

// inputFileOpener backs file mappings with the modules' files, as the
// session's memory does, and data files the program mapped (whose pages
// the kernel does not dump by default) with the file NT_FILE names, under
// the sysroot, up to maxArgFileSize bytes.
func (s *Session) inputFileOpener() (corefile.FileOpener, func()) {
	var opened []io.Closer
	done := func() {
		for _, c := range opened {
			c.Close()
		}
	}
	return func(path string) (io.ReaderAt, int64, error) {
		if r, size, err := s.openFile(path); err == nil {
			return r, size, nil
		}
		_, local, ok := s.resolve(path, nil)
		if !ok {
			return nil, 0, fmt.Errorf("%s: outside the sysroot", path)
		}
		f, err := safefile.Open(local)
		if err != nil {
			return nil, 0, err
		}
		st, err := f.Stat()
		if err != nil || st.Size() > maxArgFileSize {
			f.Close()
			return nil, 0, fmt.Errorf("%s: not read (larger than %d bytes)", path, maxArgFileSize)
		}
		opened = append(opened, f)
		return f, st.Size(), nil
	}, done
}
