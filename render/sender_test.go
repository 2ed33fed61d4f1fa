package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/coreview/coreview/report"
)

// TestTextSignalSender: the header's si_code words say who sent a signal
// a process was sent: raise and abort send SI_TKILL to their own process,
// a watchdog's tgkill comes from another, and only the sender's pid tells
// them apart, so "(raise, abort)" is said only of the first.
func TestTextSignalSender(t *testing.T) {
	for _, c := range []struct {
		name          string
		code          string
		sender, pid   int
		want, notWant string
	}{
		{"abort", "SI_TKILL", 42, 42, "signal   SIGABRT (SI_TKILL: sent by tkill/tgkill from the process itself (raise, abort, pthread_kill)) in thread 42, sent by pid 42", ""},
		{"watchdog tgkill", "SI_TKILL", 7, 42, "signal   SIGABRT (SI_TKILL: sent by tkill/tgkill from another process) in thread 42, sent by pid 7", "raise"},
		{"kill -ABRT", "SI_USER", 7, 42, "signal   SIGABRT (SI_USER: sent by kill from another process) in thread 42, sent by pid 7", "itself"},
		{"kill itself", "SI_USER", 42, 42, "signal   SIGABRT (SI_USER: sent by kill from the process itself) in thread 42, sent by pid 42", "another"},
		{"pid unknown", "SI_TKILL", 7, 0, "signal   SIGABRT (SI_TKILL: sent by tkill/tgkill) in thread 42, sent by pid 7", "raise"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code := report.SI_TKILL
			if c.code == "SI_USER" {
				code = report.SI_USER
			}
			r := &report.Report{
				Core:    "core",
				Process: report.Process{PID: c.pid},
				Signal:  &report.Signal{Number: report.SIGABRT, Name: "SIGABRT", Code: code, CodeName: c.code, Thread: 42, SenderPID: c.sender},
				Threads: []report.Thread{{TID: 42, Crashed: true}},
			}
			var b bytes.Buffer
			if err := Text(&b, r, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			inOrder(t, b.String(), c.want)
			if line := strings.SplitN(strings.SplitN(b.String(), "signal   ", 2)[1], "\n", 2)[0]; c.notWant != "" && strings.Contains(line, c.notWant) {
				t.Errorf("signal line %q says %q", line, c.notWant)
			}
		})
	}
}
