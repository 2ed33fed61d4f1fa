package analyze

import (
	"strings"

	"github.com/coreview/coreview/corefile"
	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/stackmap"
)

// stackerSwitch reports whether the stack switch at frames[at] is
// stacker's: psm's or stacker's functions among the frames around it
// (rust_psm_on_stack, psm::on_stack, stacker::grow, …). The stack-overflow
// and stack-segments diagnoses both ask, and must agree.
func stackerSwitch(frames []report.Frame, at int) bool {
	for _, f := range frames[max(at-2, 0):min(at+2, len(frames))] {
		if stackerFunction(f.Function) {
			return true
		}
	}
	return false
}

// stackerPrefixes begin the names of psm's and stacker's functions: the
// crates' paths, and psm's assembly entry points (rust_psm_on_stack,
// rust_psm_replace_stack, rust_psm_stack_pointer).
var stackerPrefixes = []string{"psm::", "rust_psm_", "stacker::"}

// stackerFunction reports whether name (demangled) is one of psm's or
// stacker's functions, or a trait method of one of their types
// ("<stacker::StackRestoreGuard as core::ops::drop::Drop>::drop"). A
// prefix, not a substring: upsmtp::send and my_stacker_pool::run are not.
func stackerFunction(name string) bool {
	name = strings.TrimPrefix(name, "<")
	for _, p := range stackerPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// segmentExtent looks at the frames from the faulting one outwards for
// the switch onto the segment seg: the first frame whose SP is on seg and
// whose CFA is not (rust_psm_on_stack, which moved the stack pointer), or
// failing that the first frame whose SP is off seg. It returns nil when
// every frame is on seg: the unwind never shows the switch.
func (mm *memoryMap) segmentExtent(seg, guard *corefile.Mapping, frames []report.Frame, raw []stackmap.Frame) *report.SegmentExtent {
	var top uint64
	sw := -1
	for i, f := range raw {
		if mm.stackOf(f.SP) != seg {
			sw = i
			break
		}
		top = max(top, f.SP)
		if f.CFA == 0 || mm.stackOf(f.CFA-1) != seg {
			sw = i
			break
		}
		top = max(top, f.CFA)
	}
	if sw < 0 || top == 0 {
		return nil
	}
	ext := &report.SegmentExtent{SwitchFrame: frames[sw].Index, SwitchFunction: frames[sw].Function, Top: report.Addr((top + 4095) &^ 4095)}
	ext.Stacker = stackerSwitch(frames, sw)
	if ext.Stacker && guard != nil && uint64(ext.Top) > guard.End {
		ext.Pages = int((uint64(ext.Top)-guard.End)/4096) + 2
		ext.Requested = uint64(ext.Pages-2) * 4096
		if rw := uint64(ext.Pages-1) * 4096; seg.End-seg.Start > rw {
			ext.MappingExtra = seg.End - seg.Start - rw
		}
	}
	return ext
}
