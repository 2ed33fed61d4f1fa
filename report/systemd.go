package report

import (
	"fmt"
	"strings"
)

// Line says in one line what systemd-coredump recorded about the process
// (its file name and user.coredump.* extended attributes), whatever of it
// is present: "comm prog, uid 1000, pid 4242, boot id …, time 2023-11-14
// 22:13:20 UTC, exe /usr/bin/prog, signal SIGSEGV". It is "" for nil or
// for a record that found nothing.
func (m *Systemd) Line() string {
	if m == nil || !m.FromName && !m.FromXattr {
		return ""
	}
	var parts []string
	add := func(format string, a ...any) { parts = append(parts, fmt.Sprintf(format, a...)) }
	if m.Comm != "" {
		add("comm %s", m.Comm)
	}
	if m.FromName || m.UID != 0 {
		add("uid %d", m.UID)
	}
	if m.PID != 0 {
		add("pid %d", m.PID)
	}
	if m.BootID != "" {
		add("boot id %s", m.BootID)
	}
	if !m.Time.IsZero() {
		add("time %s", m.Time.UTC().Format("2006-01-02 15:04:05.000000 UTC"))
	}
	if m.Exe != "" {
		add("exe %s", m.Exe)
	}
	if m.Signal != 0 {
		add("signal %s", SignalName(m.Signal))
	}
	if m.Hostname != "" {
		add("host %s", m.Hostname)
	}
	return strings.Join(parts, ", ")
}

// SystemdRecord is what systemd-coredump recorded about the core, or nil.
func (r *Report) SystemdRecord() *Systemd {
	if r.Stored == nil {
		return nil
	}
	return r.Stored.Systemd
}
