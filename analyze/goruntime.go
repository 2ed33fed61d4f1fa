package analyze

import (
	"strings"

	"github.com/coreview/coreview/report"
)

// The Go runtime kills its own process on purpose. A fatal signal in Go
// code becomes a panic: the runtime's signal handler makes the faulting
// goroutine "call" runtime.sigpanic at the faulting PC (sighandler pushes
// that PC as a return address, signal_amd64.go pushCall), sigpanic calls
// runtime.panicmem (or panicdivide, panicfloat…) and gopanic. An
// unrecovered panic ends in runtime.fatalpanic, a runtime error in
// runtime.fatalthrow; with GOTRACEBACK=crash both go on to runtime.crash,
// which calls runtime.dieFromSignal(SIGABRT), and that raises the signal
// with runtime.raise after restoring the default action. A fatal signal
// the runtime does not turn into a panic (one in C code, SIGQUIT) is
// re-raised by dieFromSignal from the signal handler itself.

// goDeath is how the Go runtime killed the process, from the crashed
// thread's frames.
type goDeath struct {
	// Cause is "fatal-signal" (a fault in Go code became a panic that
	// was not recovered), "fatal-panic" (an unrecovered panic),
	// "fatal-error" (runtime.throw: a runtime error such as a concurrent
	// map write or a deadlock) or "signal" (a fatal signal the runtime
	// re-raised).
	Cause string
	// Fault is the index of the frame under runtime.sigpanic: the Go
	// function whose instruction faulted; -1 when none.
	Fault int
	// Panic is the runtime function sigpanic called, which says what
	// kind of fault it was (runtime.panicmem: a nil or invalid pointer).
	Panic string
	// Caller is the first frame past the runtime's machinery: the one
	// that panicked or threw; -1 when none.
	Caller int
}

// goRuntimeDeath recognizes a death the Go runtime caused: runtime.raise
// at the top (past signal frames of the runtime's own handler) and
// dieFromSignal or crash below it. It returns nil for any other stack.
func goRuntimeDeath(frames []report.Frame) *goDeath {
	if len(frames) == 0 || report.GoFunc(frames[0].Function) != "runtime.raise" && report.GoFunc(frames[0].Function) != "runtime.raiseproc" && report.GoFunc(frames[0].Function) != "runtime.tgkill" {
		return nil
	}
	d := &goDeath{Fault: -1, Caller: -1}
	died := false
	for i, f := range frames {
		switch report.GoFunc(f.Function) {
		case "runtime.dieFromSignal", "runtime.crash":
			died = true
		case "runtime.fatalpanic", "runtime.gopanic":
			if d.Cause == "" {
				d.Cause = "fatal-panic"
			}
		case "runtime.fatalthrow", "runtime.throw":
			if d.Cause == "" {
				d.Cause = "fatal-error"
			}
		case "runtime.sigpanic":
			d.Cause = "fatal-signal"
			if i+1 < len(frames) && !frames[i+1].Signal {
				d.Fault = i + 1
			}
			// What sigpanic called, often inlined into it
			// (runtime.panicmem).
			for _, in := range f.Inlined {
				if strings.HasPrefix(report.GoFunc(in.Function), "runtime.panic") {
					d.Panic = report.GoFunc(in.Function)
				}
			}
			if i > 0 && d.Panic == "" && strings.HasPrefix(report.GoFunc(frames[i-1].Function), "runtime.panic") {
				d.Panic = report.GoFunc(frames[i-1].Function)
			}
		}
	}
	if !died {
		return nil
	}
	if d.Cause == "" {
		d.Cause = "signal"
	}
	for i, f := range frames {
		if f.Signal || f.Function == "" || report.IsGoMachinery(f.Function) {
			continue
		}
		if i >= d.Fault {
			d.Caller = i
			break
		}
	}
	return d
}
