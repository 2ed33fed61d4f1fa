package analyze

import (
	"fmt"
	"strings"
)

// EarlyInit is the detail of an "early-init" diagnosis: the crashed thread
// never reached main.
type EarlyInit struct {
	// Path is the start-up frames, outermost first.
	Path []string `json:"path"`
	// Constructor is set when the crash was in a constructor
	// (.init_array, __attribute__((constructor)), a static initializer).
	Constructor string   `json:"constructor,omitempty"`
	Link        LinkInfo `json:"link"`
}

// startup names functions of the C libraries' and loaders' start-up paths.
var startup = map[string]bool{
	"_start": true, "_start_c": true, "_dl_start": true, "_dl_start_final": true, "_dl_start_user": true,
	"_dl_relocate_static_pie": true, "__libc_start_main": true, "__libc_start_main_impl": true,
	"__libc_start_call_main": true, "__init_libc": true, "static_init_tls": true, "__copy_tls": true,
	"__libc_setup_tls": true, "__libc_init_first": true, "__libc_csu_init": true, "call_init": true,
	"_dl_init": true, "libc_start_init": true, "__libc_start_init": true, "_init": true, "__dls2": true,
	"__dls2b": true, "__dls3": true, "_dlstart_c": true, "_dl_sysdep_start": true, "dl_main": true,
	"__init_tls": true, "__init_ssp": true, "_dl_relocate_object": true, "__libc_early_init": true,
}

var initCallers = map[string]bool{"call_init": true, "_dl_init": true, "__libc_csu_init": true, "libc_start_init": true, "__libc_start_init": true, "do_init_fini": true}

// diagnoseEarlyInit reports a crash before main: the crashed thread is the
// main thread and its stack holds no main, only start-up code.
func (a *analysis) diagnoseEarlyInit() *Diagnosis {
	c := a.s.Core
	if len(a.report.Threads) == 0 || c.Process == nil || c.Threads[0].TID != c.Process.PID {
		return nil
	}
	t := &a.report.Threads[0]
	if t.EndReason != "end of stack" || len(t.Frames) == 0 {
		return nil
	}
	sawStartup := false
	ei := &EarlyInit{}
	for i := len(t.Frames) - 1; i >= 0; i-- {
		fn := t.Frames[i].Function
		if fn == "main" {
			return nil
		}
		if startup[fn] {
			sawStartup = true
		}
		ei.Path = append(ei.Path, frameName(t.Frames[i]))
		if ei.Constructor == "" && initCallers[fn] && i > 0 {
			ei.Constructor = frameName(t.Frames[i-1])
		}
	}
	outer := t.Frames[len(t.Frames)-1].Function
	if !sawStartup || !startup[outer] {
		return nil
	}
	if m := a.s.Modules.Module(uint64(t.Frames[len(t.Frames)-1].PC)); m != nil {
		ei.Link = linkInfo(m)
	}
	d := &Diagnosis{Kind: "early-init", Thread: t.TID, EarlyInit: ei}
	d.Summary = fmt.Sprintf("The crash happened before main: thread %d was still in start-up code (%s).", t.TID, strings.Join(ei.Path, " → "))
	if ei.Constructor != "" {
		d.Summary = fmt.Sprintf("The crash happened before main, in the constructor %s: thread %d was running initializers (%s).", ei.Constructor, t.TID, strings.Join(ei.Path, " → "))
	}
	l := ei.Link
	if l.Type != "" {
		facts := fmt.Sprintf("The executable is %s", l.Type)
		if l.Interpreter != "" {
			facts += ", interpreter " + l.Interpreter
		} else {
			facts += ", no interpreter: it relocates itself"
		}
		if l.RELR {
			facts += ", with DT_RELR relocations"
		}
		if l.TLS {
			facts += fmt.Sprintf(", with a %d-byte TLS segment", l.TLSSize)
		}
		if l.Libc != "" {
			facts += ", C library " + l.Libc
		}
		d.Explanation = append(d.Explanation, facts+".")
	}
	return d
}
