package analyze

import (
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

// diagnose runs every diagnosis, most specific first.
func (a *analysis) diagnose() []report.Diagnosis {
	var out []report.Diagnosis
	if d := a.diagnoseStackOverflow(); d != nil {
		out = append(out, *d)
	}
	cf := a.controlFlow()
	unreloc := a.diagnoseUnrelocated(cf)
	if unreloc != nil {
		out = append(out, *unreloc)
		a.unrelocatedWhere(unreloc.Unrelocated, cf)
	}
	if d := a.diagnoseEarlyInit(); d != nil {
		out = append(out, *d)
	}
	if d := a.diagnoseWildPC(cf, unreloc); d != nil {
		out = append(out, *d)
	}
	if cf == nil && (len(out) == 0 || out[0].Kind != "stack-overflow" && out[0].Kind != "unrelocated-pointer") {
		if d := a.diagnoseFault(); d != nil {
			out = append(out, *d)
		}
	}
	if d := a.diagnoseAbort(len(out) > 0 && out[0].Kind == "stack-overflow"); d != nil {
		out = append(out, *d)
	}
	out = append(out, a.diagnoseStackSegments()...)
	return out
}
