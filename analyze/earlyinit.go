package analyze

import (
	"github.com/coreview/coreview/report"
)

var initCallers = map[string]bool{"call_init": true, "_dl_init": true, "__libc_csu_init": true, "libc_start_init": true, "__libc_start_init": true, "do_init_fini": true}

// mainCallers are the entry functions that call main: glibc 2.34 and later
// call it from __libc_start_call_main (which calls nothing else but exit);
// older glibc from __libc_start_main itself, after the initializers; musl
// from libc_start_main_stage2, through a pointer, after __libc_start_init.
// main need not be a frame named main: python3.11's main is one jmp to
// Py_BytesMain, node's one jmp to node::Start, so the entry function's
// callee is whatever main tail-called.
var mainCallers = map[string]bool{
	"__libc_start_call_main": true, "__libc_start_main": true, "__libc_start_main_impl": true,
	"libc_start_main_stage2": true,
}

// mainCalled reports whether the entry machinery had called main on a
// stack listed innermost first: a frame named main, or a frame an entry
// function called that is not start-up or initializer code.
func mainCalled(frames []report.Frame) bool {
	for i, f := range frames {
		if f.Function == "main" {
			return true
		}
		for _, in := range f.Inlined {
			// main inlined, or main's tail call (python3.11's main
			// jumps to Py_BytesMain) rebuilt from DWARF call sites.
			if in.Function == "main" {
				return true
			}
		}
		if i == 0 || !mainCallers[callingFunction(f)] {
			continue
		}
		// frames[i-1] is what the entry function called. glibc's
		// __libc_start_main also calls the initializers and the
		// start-up code of a static program; those are named, and an
		// unnamed callee is taken to be main only from the functions
		// that call nothing else.
		callee := frames[i-1]
		switch {
		case callee.Signal:
		case callee.Function == "":
			if f.Function == "__libc_start_call_main" {
				return true
			}
		case !report.IsStartup(callee.Function) && !initCallers[callee.Function]:
			return true
		}
	}
	return false
}

// callingFunction is the function whose call a physical frame's return
// address belongs to: the innermost of the calls inlined there (glibc
// inlines call_init and __libc_start_call_main into __libc_start_main in
// some builds), or the frame's own function.
//
// Tail-call frames rebuilt from DWARF call sites are also in Inlined,
// before the inlined calls; they are functions that jumped on from this
// frame's call, not the call's maker, and are skipped.
func callingFunction(f report.Frame) string {
	for _, in := range f.Inlined {
		if in.Method != report.MethodTailCall {
			return in.Function
		}
	}
	return f.Function
}

// diagnoseEarlyInit reports a crash before main: the crashed thread is the
// main thread, its stack is start-up code from the outermost frame on, and
// the entry machinery had not called main yet (mainCalled).
func (a *analysis) diagnoseEarlyInit() *report.Diagnosis {
	c := a.s.Core
	ct := a.crashed()
	if ct == nil || c.Process == nil || ct.core.TID != c.Process.PID {
		return nil
	}
	t := ct.thread
	if t.EndReason != "end of stack" || len(t.Frames) == 0 {
		return nil
	}
	if mainCalled(t.Frames) {
		return nil
	}
	sawStartup := false
	ei := &report.EarlyInit{}
	for i := len(t.Frames) - 1; i >= 0; i-- {
		fn := t.Frames[i].Function
		if report.IsStartup(fn) {
			sawStartup = true
		}
		ei.Path = append(ei.Path, t.Frames[i].Name())
		if ei.Initializer == "" && (initCallers[fn] || initCallers[callingFunction(t.Frames[i])]) && i > 0 {
			ei.Initializer = t.Frames[i-1].Name()
		}
	}
	outer := t.Frames[len(t.Frames)-1].Function
	if !sawStartup || !report.IsStartup(outer) {
		return nil
	}
	if m := a.s.Modules.Module(uint64(t.Frames[len(t.Frames)-1].PC)); m != nil {
		ei.Link = linkInfo(m)
	}
	d := &report.Diagnosis{Kind: report.KindEarlyInit, Thread: t.TID, EarlyInit: ei}
	d.Summary, d.Explanation = ei.Explain(t.TID)
	return d
}
