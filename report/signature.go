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
// of a function (a recursion) count once. The executable's name keeps two
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
	frames := r.MeaningfulFrames(signatureFrames)
	sig := strings.Join(parts, " ") + ": " + strings.Join(frames, " ← ")
	sum := sha256.Sum256([]byte(sig))
	return sig, hex.EncodeToString(sum[:8])
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
	t, idx, fallback := r.meaningfulFrameIndices(n)
	if fallback {
		// Nothing meaningful: the module of the faulting frame is still a
		// stable fact.
		return []string{nameOr(t.Frames[idx[0]].Module, "??")}
	}
	var frames []string
	for _, i := range idx {
		frames = append(frames, signatureName(&t.Frames[i]))
	}
	return frames
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
