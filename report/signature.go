package report

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
)

// signatureFrames is how many meaningful frames a crash signature holds.
const signatureFrames = 5

// IsRuntimeModule reports whether frames in the module named name are
// machinery, not the bug: the C library and the dynamic loader.
func IsRuntimeModule(name string) bool {
	return strings.HasPrefix(name, "libc.so") || strings.HasPrefix(name, "ld-linux") ||
		strings.HasPrefix(name, "ld-musl") || strings.HasPrefix(name, "libpthread") || name == "[vdso]"
}

// ComputeSignature computes the crash signature: the executable's name,
// the signal ("snapshot" for a snapshot), the primary diagnosis kind, and
// the top meaningful frames of the crashed thread, starting at the faulting
// frame (SignatureStart: past a signal frame when a handler turned a fault
// into another signal, so a fault inside a handler starts at the handler's
// own faulting frame). Frames are skipped when they are signal
// trampolines, abort/raise/panic machinery (the C library's, Rust's, the Go
// runtime's), C library or loader code, or the start-up code and the Go
// runtime's goroutine entry (unless the crash happened before main); a
// frame without a name enters as its module and offset ("sleep+0x64af"),
// which is stable across ASLR runs of one build, and a frame in no module
// (JIT code) is skipped. Names lose Rust hashes (already gone after
// demangling), generic arguments and the compiler's clone marks (C++ "
// [clone .cold]", C "[cold]": where a function was split or copied is the
// compiler's choice, and can change between builds); consecutive repeats
// of a function (a recursion) count once; a stack overflow through a
// recursion starts at the recursion's entry instead (recursionEntry). The executable's name keeps two
// programs dying in the same library apart. The signature holds no
// addresses, so it is the same across ASLR runs, compressed and raw copies
// of a core, and rebuilds of the same source when its frames are named.
// The hash is the first 16 hex digits of its SHA-256.
func (r *Report) ComputeSignature() (string, string) {
	var parts []string
	switch {
	case r.Snapshot:
		parts = append(parts, "snapshot")
	case r.Signal != nil:
		parts = append(parts, r.Signal.Name)
	default:
		parts = append(parts, "no-signal")
	}
	if len(r.Diagnosis) > 0 {
		parts = append(parts, string(r.Diagnosis[0].Kind))
	}
	if exe := r.exeName(); exe != "" {
		parts = append(parts, "in "+exe)
	}
	frames := r.signatureFrames()
	sig := strings.Join(parts, " ") + ": " + strings.Join(frames, " ← ")
	sum := sha256.Sum256([]byte(sig))
	return sig, hex.EncodeToString(sum[:8])
}

// signatureFrames is MeaningfulFrames(signatureFrames), except for a
// stack overflow through a recursion, whose frames start at the
// recursion's entry (see recursionEntry).
func (r *Report) signatureFrames() []string {
	t, start := r.signatureThread()
	if t == nil || len(r.Diagnosis) == 0 || r.Diagnosis[0].Kind != KindStackOverflow {
		return r.MeaningfulFrames(signatureFrames)
	}
	if e, ok := recursionEntry(t, start); ok {
		return r.framesFrom(t, e, signatureFrames)
	}
	return r.MeaningfulFrames(signatureFrames)
}

// framesFrom is MeaningfulFrames from frame start of thread t.
func (r *Report) framesFrom(t *Thread, start, n int) []string {
	idx, fallback := r.meaningfulFrom(t, start, n)
	if fallback {
		return []string{nameOr(t.Frames[idx[0]].Module, "??")}
	}
	frames := make([]string, 0, len(idx))
	for _, i := range idx {
		frames = append(frames, signatureName(&t.Frames[i]))
	}
	return frames
}

// Where recursionEntry looks for the recursion that ran a stack out: in
// the innermost recursionWindow frames from the fault, a function with at
// least minRecursion frames there.
const (
	recursionWindow = 4096
	minRecursion    = 8
)

// frameKey names a frame for recursionEntry: its function, or, unnamed,
// its module and offset.
type frameKey struct {
	fn, module string
	off        Addr
}

func keyOf(f *Frame) frameKey {
	if f.Function != "" {
		return frameKey{fn: f.Function, module: f.Module}
	}
	return frameKey{module: f.Module, off: f.ModuleOffset}
}

// recursionEntry finds where the signature of a stack overflow through a
// recursion starts. The frames above the recursion, and the point in its
// cycle where the stack ran out, are chance: one run of a program that
// recurses through scan_once_unicode dies in PyList_New, the next in
// _PyObject_GC_Link inside it, a mutual recursion stops in either of its
// functions, and the depth changes with the environment's size. The
// recursion's entry is the same in every run: the outermost frame of a
// function of the cycle, which the first call into the recursion made.
// The signature starts one cycle inward from it, at the innermost frame
// of the outermost cycle (for a function calling itself, the entry
// itself), and goes outward: the cycle, then what called it.
//
// The cycle's functions are the one with the most frames among the
// innermost recursionWindow (at least minRecursion of them; a single
// large frame is no recursion, and its faulting frame is already the same
// in every run) and those between its two outermost frames. Its entry is
// found only on a stack walked to its end; a walk that stopped inside the
// recursion has no entry to see, and the signature starts at the
// innermost frame of the cycle's least rotation (leastRotation), one
// point of the cycle that does not depend on where the stack ran out.
func recursionEntry(t *Thread, start int) (int, bool) {
	frames := t.Frames
	counted := func(f *Frame) bool { return !f.Signal && f.Module != "" }
	counts := map[frameKey]int{}
	var top frameKey
	best := 0
	end := min(len(frames), start+recursionWindow)
	for i := start; i < end; {
		f := &frames[i]
		if !counted(f) {
			i++
			continue
		}
		k := keyOf(f)
		j := i + 1
		for j < end && keyOf(&frames[j]) == k {
			j++
		}
		n := counts[k] + j - i
		counts[k] = n
		if n > best {
			top, best = k, n
		}
		i = j
	}
	if best < minRecursion {
		return 0, false
	}
	// occurrence returns the next frame of key k from i in direction
	// step, or -1.
	occurrence := func(k frameKey, i, step int) int {
		for ; i >= start && i < len(frames); i += step {
			if counted(&frames[i]) && keyOf(&frames[i]) == k {
				return i
			}
		}
		return -1
	}
	if t.EndReason != EndOfStack {
		// No entry: the innermost two frames of top bound one cycle.
		first := occurrence(top, start, 1)
		if at, ok := leastRotation(frames, first, end, counted); ok {
			return at, true
		}
		second := occurrence(top, first+1, 1)
		if second < 0 {
			return first, true
		}
		least, at := top, first
		for i := first + 1; i < second; i++ {
			if counted(&frames[i]) && keyLess(keyOf(&frames[i]), least) {
				least, at = keyOf(&frames[i]), i
			}
		}
		return at, true
	}
	outer := occurrence(top, len(frames)-1, -1)
	inner := occurrence(top, outer-1, -1)
	if inner < 0 {
		return outer, true
	}
	cycle := map[frameKey]bool{}
	for i := inner; i <= outer; i++ {
		if counted(&frames[i]) {
			cycle[keyOf(&frames[i])] = true
		}
	}
	entry := outer
	for i := len(frames) - 1; i > outer; i-- {
		if counted(&frames[i]) && cycle[keyOf(&frames[i])] {
			entry = i
			break
		}
	}
	prev := occurrence(keyOf(&frames[entry]), entry-1, -1)
	if prev < 0 {
		return entry, true
	}
	return prev + 1, true
}

// maxCycle is the longest cycle, in functions, leastRotation looks for.
const maxCycle = 64

// leastRotation finds, in a walk cut inside a recursion, the point of
// the cycle that does not depend on where the stack ran out: from frame
// from on, the functions (consecutive repeats as one) repeat with some
// period; of its rotations the least (keyLess, function by function)
// starts the signature, at its innermost frame. A function the cycle
// passes twice (eval → apply → eval → eval_args → eval) does not pick the
// point by itself: which of its two places is innermost is chance. ok is
// false when the frames show no period up to maxCycle.
func leastRotation(frames []Frame, from, end int, counted func(*Frame) bool) (int, bool) {
	type run struct {
		k  frameKey
		at int // its innermost frame
	}
	var seq []run
	for i := from; i >= 0 && i < end && len(seq) < 4*maxCycle+16; i++ {
		if !counted(&frames[i]) {
			continue
		}
		k := keyOf(&frames[i])
		if n := len(seq); n > 0 && seq[n-1].k == k {
			continue
		}
		seq = append(seq, run{k, i})
	}
	for p := 1; p <= maxCycle && 2*p <= len(seq); p++ {
		n := min(len(seq), 4*p+16)
		periodic := true
		for i := 0; i+p < n && periodic; i++ {
			periodic = seq[i].k == seq[i+p].k
		}
		if !periodic {
			continue
		}
		best := 0
		for r := 1; r < p; r++ {
			for i := 0; i < p; i++ {
				a, b := seq[(r+i)%p].k, seq[(best+i)%p].k
				if a != b {
					if keyLess(a, b) {
						best = r
					}
					break
				}
			}
		}
		return seq[best].at, true
	}
	return 0, false
}

func keyLess(a, b frameKey) bool {
	if a.fn != b.fn {
		return a.fn < b.fn
	}
	if a.module != b.module {
		return a.module < b.module
	}
	return a.off < b.off
}

// exeName is the executable's file name, or the command name when the
// core does not say which file it was.
func (r *Report) exeName() string {
	if r.Process.Exe != "" {
		return path.Base(r.Process.Exe)
	}
	return r.Process.Command
}

// stripClone removes the marks of a compiler-made copy or part of a
// function, as demangled: C++ "f() [clone .cold]" and "[clone .part.0]",
// and gdb's "f[cold]" for C.
// StripClone removes the marks of a compiler-made copy or part of a
// function (stripClone).
func StripClone(name string) string { return stripClone(name) }

func stripClone(name string) string {
	for {
		i := strings.LastIndexByte(name, '.')
		switch {
		case strings.HasSuffix(name, "]") && strings.Contains(name, " [clone ."):
			name = name[:strings.LastIndex(name, " [clone .")]
		case strings.HasSuffix(name, "[cold]"):
			name = strings.TrimSuffix(name, "[cold]")
		case i > 0 && name[i+1:] == "cold":
			// The raw forms gdb leaves alone (names with a capital or a
			// leading underscore): __assert_fail_base.cold, _f.isra.0.
			name = name[:i]
		case i > 0 && i < len(name)-1 && strings.Trim(name[i+1:], "0123456789") == "" && gccCloneSuffix[afterDot(name[:i])]:
			name = name[:strings.LastIndexByte(name[:i], '.')] // "_f.part.0"
		default:
			return name
		}
	}
}

// gccCloneSuffix are the suffixes GCC gives the parts and copies it makes
// of a function.
var gccCloneSuffix = map[string]bool{"part": true, "isra": true, "constprop": true, "lto_priv": true}

func afterDot(s string) string { return s[strings.LastIndexByte(s, '.')+1:] }

// stripGenerics removes generic and template arguments from a demangled
// name: "core::ptr::drop_in_place::<alloc::string::String>" and
// "Vec<T>::push" lose their <…>; a leading qualified path such as
// "<std::thread::Thread>::new" or "<T as Trait>::f" keeps its brackets but
// loses the generics inside them.
func stripGenerics(name string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch c {
		case '<':
			// A '<' that starts the name (or follows a space or '(')
			// opens a qualified path, not generic arguments.
			if depth == 0 && (i == 0 || name[i-1] == ' ' || name[i-1] == '(') {
				b.WriteByte(c)
				continue
			}
			depth++
		case '>':
			if depth > 0 {
				depth--
				continue
			}
			b.WriteByte(c)
		default:
			if depth == 0 {
				b.WriteByte(c)
			}
		}
	}
	out := strings.ReplaceAll(b.String(), "::::", "::")
	return strings.TrimSuffix(out, "::")
}

// MeaningfulFrames returns up to n names from the crashed thread's stack
// for the signature (see ComputeSignature for what is skipped).
func (r *Report) MeaningfulFrames(n int) []string {
	t, start := r.signatureThread()
	if t == nil {
		return nil
	}
	return r.framesFrom(t, start, n)
}

// unnamedInMachinery marks the frames without a name that lie between two
// frames of the abort machinery (a stripped libstdc++'s terminate handler
// between abort and std::terminate): the path to abort, not the code that
// failed, and an offset that changes with every build of the library. One
// pass from the outermost frame keeps it linear on deep stacks.
func unnamedInMachinery(frames []Frame) []bool {
	out := make([]bool, len(frames))
	var machinery machineryMemo
	outer := false // the next named frame outward is machinery
	for i := len(frames) - 1; i >= 0; i-- {
		f := &frames[i]
		switch {
		case f.Signal:
			outer = false
		case f.Function == "":
			out[i] = outer
		default:
			outer = machinery.is(f.Function)
		}
	}
	// Only between two: an unnamed frame above the machinery (frame 0
	// in a stripped library) is where the thread was.
	inner := false
	for i := range frames {
		f := &frames[i]
		switch {
		case f.Signal:
			inner = false
		case f.Function == "":
			out[i] = out[i] && inner
		default:
			inner = machinery.is(f.Function)
		}
	}
	return out
}

// machineryMemo answers IsAbortMachinery once for a run of frames of one
// function: a recursion repeats one name thousands of times.
type machineryMemo struct {
	name     string
	answer   bool
	answered bool
}

func (m *machineryMemo) is(name string) bool {
	if !m.answered || name != m.name {
		m.name, m.answer, m.answered = name, IsAbortMachinery(name), true
	}
	return m.answer
}
