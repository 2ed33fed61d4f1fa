package analyze

import (
	"github.com/coreview/coreview/report"
)

// sender says who sent the signal the process died of, from NT_SIGINFO:
// si_code SI_USER (kill), SI_TKILL (tgkill, tkill: what raise and abort
// use) and SI_QUEUE (sigqueue) carry the sender's pid and uid, and the pid
// is the sending process's (its thread group's: kernel/signal.c fills
// si_pid with task_tgid_vnr). Any other si_code is the kernel's.
type sender struct {
	Sent bool // a process sent it
	// Self is set when the process sent it to itself (raise, abort,
	// kill(getpid())), Other when another process did.
	Self, Other bool
	PID         int
	UID         uint32
	How         string // SI_USER, SI_TKILL, SI_QUEUE
}

func (a *analysis) sender() sender {
	c := a.s.Core
	si := c.Siginfo
	if si == nil {
		return sender{}
	}
	switch si.Code {
	case report.SI_USER, report.SI_TKILL, report.SI_QUEUE:
	default:
		return sender{}
	}
	s := sender{Sent: true, PID: si.PID, UID: si.UID, How: report.CodeName(si.Signo, si.Code)}
	pid := 0
	if c.Process != nil {
		pid = c.Process.PID
	}
	switch {
	case pid == 0:
		// Without NT_PRPSINFO the process's own pid is unknown: the
		// sender is neither claimed to be it nor another.
	case si.PID == pid:
		s.Self = true
	default:
		s.Other = true
	}
	return s
}

// diagnoseKilled finds the facts of a signal another process sent (a
// watchdog, a supervisor, `timeout -s ABRT`, a user's kill), which
// Killed.Explain words. The thread was wherever it happened to be (blocked
// in read(), in pause()); nothing in its stack raised the signal, so there
// is no abort or fault to explain.
func (a *analysis) diagnoseKilled() *report.Diagnosis {
	snd := a.sender()
	ct := a.crashed()
	if !snd.Other || ct == nil {
		return nil
	}
	c := a.s.Core
	k := &report.Killed{SenderPID: snd.PID, SenderUID: snd.UID, How: snd.How, Signo: c.Siginfo.Signo}
	frames := ct.thread.Frames
	for i, f := range frames {
		if !f.Signal && (!report.IsRuntimeModule(f.Module) || i == len(frames)-1) {
			k.In = &report.FrameRef{Index: i, PC: f.PC, Function: f.Name(), Module: f.Module}
			break
		}
	}
	d := &report.Diagnosis{Kind: report.KindKilled, Thread: ct.thread.TID, Killed: k}
	d.Summary, d.Explanation = k.Explain(ct.thread)
	return d
}
