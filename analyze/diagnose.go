package analyze

import (
	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// analysis is what the diagnoses look at: the session, the raw stacks
// (index-aligned with the core's threads), the memory map with roles, and
// the report built so far.
type analysis struct {
	s      *Session
	stacks []*stackmap.Stack
	mm     *memoryMap
	report *report.Report
}

// crashedThread is the thread that dumped core in the analysis's three
// views of it: the core's thread, its raw stack and its report thread.
type crashedThread struct {
	core   *corefile.Thread
	stack  *stackmap.Stack
	thread *report.Thread
}

// crashed returns the thread that dumped core (corefile.File.CrashedThread:
// the kernel writes its NT_PRSTATUS first), or nil for a core without
// threads. Every diagnosis asks here rather than indexing the threads.
func (a *analysis) crashed() *crashedThread {
	t := a.s.Core.CrashedThread()
	if t == nil || len(a.stacks) == 0 || len(a.report.Threads) == 0 {
		return nil
	}
	return &crashedThread{core: t, stack: a.stacks[0], thread: &a.report.Threads[0]}
}

// findings is what the diagnoses found so far, for those that run later.
type findings struct {
	out []report.Diagnosis
	// cf is the crashed thread's jump to a PC outside executable memory,
	// nil when its PC is sound.
	cf *report.ControlFlow
	// unreloc is the unrelocated-pointer diagnosis, if one was made.
	unreloc *report.Diagnosis
}

// firstIs reports whether the first diagnosis found is of one of kinds.
func (f *findings) firstIs(kinds ...report.Kind) bool {
	for _, k := range kinds {
		if len(f.out) > 0 && f.out[0].Kind == k {
			return true
		}
	}
	return false
}

func one(d *report.Diagnosis) []report.Diagnosis {
	if d == nil {
		return nil
	}
	return []report.Diagnosis{*d}
}

// diagnoses are every diagnosis in the order they run, most specific
// first; the first one found is the report's primary diagnosis. Each sees
// what the ones before it found.
var diagnoses = []struct {
	name string
	run  func(a *analysis, f *findings) []report.Diagnosis
}{
	{"stack overflow (stackoverflow.go)", func(a *analysis, f *findings) []report.Diagnosis {
		return one(a.diagnoseStackOverflow())
	}},
	{"unrelocated pointer (unrelocated.go)", func(a *analysis, f *findings) []report.Diagnosis {
		f.unreloc = a.diagnoseUnrelocated(f.cf)
		if f.unreloc != nil {
			a.unrelocatedWhere(f.unreloc.Unrelocated, f.cf)
		}
		return one(f.unreloc)
	}},
	{"crash before main (earlyinit.go)", func(a *analysis, f *findings) []report.Diagnosis {
		return one(a.diagnoseEarlyInit())
	}},
	{"jump to a bad PC (wildpc.go)", func(a *analysis, f *findings) []report.Diagnosis {
		return one(a.diagnoseWildPC(f.cf, f.unreloc))
	}},
	{"faulting instruction (faults.go)", func(a *analysis, f *findings) []report.Diagnosis {
		// A bad PC has no instruction to blame; an overflow or an
		// unrelocated pointer already explains the fault.
		if f.cf != nil || f.firstIs(report.KindStackOverflow, report.KindUnrelocated) {
			return nil
		}
		return one(a.diagnoseFault())
	}},
	{"killed by another process (killed.go)", func(a *analysis, f *findings) []report.Diagnosis {
		return one(a.diagnoseKilled())
	}},
	{"abort (abort.go)", func(a *analysis, f *findings) []report.Diagnosis {
		return one(a.diagnoseAbort(f.firstIs(report.KindStackOverflow)))
	}},
	{"stack segments (segment.go)", func(a *analysis, f *findings) []report.Diagnosis {
		return a.diagnoseStackSegments()
	}},
}

// diagnose runs every diagnosis in the order of diagnoses.
func (a *analysis) diagnose() []report.Diagnosis {
	f := &findings{cf: a.controlFlow()}
	for _, d := range diagnoses {
		f.out = append(f.out, d.run(a, f)...)
	}
	return f.out
}
