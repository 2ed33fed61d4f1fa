package report

import "fmt"

// Location is a frame of the crashed thread in the terms a CI annotation
// needs: the function, its module and offset, and its source position
// when DWARF gave one.
type Location struct {
	Function     string `json:"function"`
	Module       string `json:"module,omitempty"`
	ModuleOffset Addr   `json:"module_offset,omitempty"`
	File         string `json:"file,omitempty"`
	Line         int    `json:"line,omitempty"`
	Column       int    `json:"column,omitempty"`
	// Frame is the frame's index in the crashed thread.
	Frame int `json:"frame"`
}

// CrashStack returns the crashed thread's first n meaningful frames (the
// ones the signature is made of, ComputeSignature says which) as
// locations, the first of them where the crash is; nil when no thread
// crashed. A frame with calls inlined into it is located at the innermost
// inlined call, the source line that was running.
func (r *Report) CrashStack(n int) []Location {
	t, idx, _ := r.meaningfulFrameIndices(n)
	var out []Location
	for _, i := range idx {
		f := &t.Frames[i]
		l := Location{Function: f.Name(), Module: f.Module, ModuleOffset: f.ModuleOffset, File: f.File, Line: f.Line, Column: f.Column, Frame: f.Index}
		// An inlined call's line is the one running; a tail-call frame
		// (rebuilt from DWARF call sites) is not at this pc.
		if len(f.Inlined) > 0 && f.Inlined[0].File != "" && f.Inlined[0].Method == MethodInline {
			in := &f.Inlined[0]
			l.File, l.Line, l.Column = in.File, in.Line, in.Column
		}
		out = append(out, l)
	}
	return out
}

// meaningfulFrameIndices returns the crashed thread (a snapshot's first
// thread when none crashed) and the indices in its Frames of up to n
// meaningful frames, from SignatureStart on (see ComputeSignature for what
// is skipped): a repeated function counts once, at its first frame. When
// none is meaningful, the first frame stands alone.
func (r *Report) meaningfulFrameIndices(n int) (t *Thread, idx []int, fallback bool) {
	t, start := r.signatureThread()
	if t == nil {
		return t, nil, false
	}
	idx, fallback = r.meaningfulFrom(t, start, n)
	return t, idx, fallback
}

// signatureThread returns the thread the signature is taken from (the
// crashed one, or a snapshot's first) and the frame it starts at
// (SignatureStart); nil when there is none or it has no frames.
func (r *Report) signatureThread() (*Thread, int) {
	t := r.CrashedThread()
	if t == nil && r.Snapshot && len(r.Threads) > 0 {
		// A snapshot's first thread is the one the writer stopped first
		// (gcore's current thread).
		t = &r.Threads[0]
	}
	if t == nil || len(t.Frames) == 0 {
		return nil, 0
	}
	start := r.SignatureStart
	if start < 0 || start >= len(t.Frames) {
		start = 0
	}
	return t, start
}

// meaningfulFrom returns the indices of up to n meaningful frames of t
// from frame start on; fallback when none is, with start alone.
func (r *Report) meaningfulFrom(t *Thread, start, n int) (idx []int, fallback bool) {
	// Start-up frames count only when the crash happened before main:
	// an unrelocated pointer used after main was reached is not one.
	early := false
	for _, d := range r.Diagnosis {
		early = early || d.Kind == KindEarlyInit
	}
	last, prevRaw, prevName := "", "", ""
	inMachinery := unnamedInMachinery(t.Frames[start:])
	// Whether a function's frames are skipped depends on its name and
	// module only: asked once per run of frames of one function.
	skipFunc, skipModule, skip, asked := "", "", false, false
	for i := start; i < len(t.Frames) && len(idx) < n; i++ {
		f := &t.Frames[i]
		if f.Signal || f.Module == "" || inMachinery[i-start] {
			continue
		}
		if !asked || f.Function != skipFunc || f.Module != skipModule {
			skipFunc, skipModule, asked = f.Function, f.Module, true
			skip = IsAbortMachinery(f.Function) && f.Function != "" || IsRuntimeModule(f.Module) ||
				IsGoMachinery(f.Function) || IsGoEntry(f.Function) ||
				// Start-up frames are in every stack; they matter only
				// when the crash happened there.
				IsStartup(f.Function) && !early
		}
		if skip {
			continue
		}
		// A recursion repeats one name thousands of times: it is
		// stripped once.
		if f.Function == "" || f.Function != prevRaw {
			prevRaw, prevName = f.Function, signatureName(f)
		}
		name := prevName
		if len(idx) > 0 && last == name {
			continue
		}
		idx, last = append(idx, i), name
	}
	if len(idx) == 0 {
		// Nothing named: the faulting frame's module is still a stable
		// fact.
		return []int{start}, true
	}
	return idx, false
}

// signatureName is a meaningful frame's name in the signature: demangled
// without generics or clone marks; module+offset for an unnamed frame in
// a module (the same in every run of one build).
func signatureName(f *Frame) string {
	switch {
	case f.Function != "":
		return stripClone(stripGenerics(f.Function))
	case f.Module != "":
		return fmt.Sprintf("%s+%#x", f.Module, uint64(f.ModuleOffset))
	}
	return "??"
}
