package analyze

import (
	"github.com/coreview/coreview/analyze/cxxexception"
)

// cxxException finds the C++ exception that reached std::terminate on the
// crashed thread: only when a frame of the terminate path is on its
// stack, among the values its frames hold.
func (a *analysis) cxxException() (cxxexception.Exception, bool) {
	crashed := a.s.Core.CrashedThread()
	for i, t := range a.s.Core.Threads {
		if t != crashed || i >= len(a.report.Threads) {
			continue
		}
		terminating := false
		for _, f := range a.report.Threads[i].Frames {
			switch stripClone(f.Function) {
			case "std::terminate", "__cxxabiv1::__terminate", "__cxa_throw", "__cxa_rethrow", "std::rethrow_exception":
				terminating = true
			}
		}
		if !terminating {
			return cxxexception.Exception{}, false
		}
		hs := inputHolders(a.s.Mem, t, a.stacks[i])
		values := make([]uint64, len(hs))
		for j, h := range hs {
			values[j] = h.Value
		}
		return cxxexception.Find(a.s.Mem, values)
	}
	return cxxexception.Exception{}, false
}
