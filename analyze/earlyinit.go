package analyze

import (
	"github.com/coreview/coreview/report"
)

var initCallers = map[string]bool{"call_init": true, "_dl_init": true, "__libc_csu_init": true, "libc_start_init": true, "__libc_start_init": true, "do_init_fini": true}

// diagnoseEarlyInit reports a crash before main: the crashed thread is the
// main thread and its stack holds no main, only start-up code.
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
	sawStartup := false
	ei := &report.EarlyInit{}
	for i := len(t.Frames) - 1; i >= 0; i-- {
		fn := t.Frames[i].Function
		if fn == "main" {
			return nil
		}
		if report.IsStartup(fn) {
			sawStartup = true
		}
		ei.Path = append(ei.Path, t.Frames[i].Name())
		if ei.Initializer == "" && initCallers[fn] && i > 0 {
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
