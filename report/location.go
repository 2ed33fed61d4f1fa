package report

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
	t, idx := r.meaningfulFrameIndices(n)
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

// meaningfulFrameIndices returns the crashed thread and the indices in its
// Frames of up to n meaningful frames (see ComputeSignature for what is
// skipped): a repeated function counts once, at its first frame. When no
// frame is named, the faulting frame stands alone.
func (r *Report) meaningfulFrameIndices(n int) (*Thread, []int) {
	t := r.CrashedThread()
	if t == nil || len(t.Frames) == 0 {
		return t, nil
	}
	// Start-up frames count only when the crash happened before main:
	// an unrelocated pointer used after main was reached is not one.
	early := false
	for _, d := range r.Diagnosis {
		early = early || d.Kind == KindEarlyInit
	}
	start := 0
	for i, f := range t.Frames {
		if f.Signal {
			start = i + 1
		}
	}
	if start >= len(t.Frames) {
		start = 0
	}
	var idx []int
	last := ""
	for i := start; i < len(t.Frames) && len(idx) < n; i++ {
		f := &t.Frames[i]
		if f.Signal || f.Function == "" || IsAbortMachinery(f.Function) || IsRuntimeModule(f.Module) {
			continue
		}
		// Start-up frames are in every stack; they matter only when the
		// crash happened there.
		if IsStartup(f.Function) && !early {
			continue
		}
		name := signatureName(f)
		if len(idx) > 0 && last == name {
			continue
		}
		idx, last = append(idx, i), name
	}
	if len(idx) == 0 {
		// Nothing named: the module of the faulting frame is still a
		// stable fact.
		idx = []int{start}
	}
	return t, idx
}

// signatureName is a meaningful frame's name in the signature: demangled
// without generics or clone marks; the module when the frame is unnamed.
func signatureName(f *Frame) string {
	if f.Function == "" {
		return nameOr(f.Module, "??")
	}
	return stripClone(stripGenerics(f.Function))
}
