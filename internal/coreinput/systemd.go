package coreinput

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Meta is what systemd-coredump records about a core outside the core
// itself: in its file name, core.<comm>.<uid>.<boot id>.<pid>.<usec>[.zst],
// and in extended attributes (user.coredump.*).
type Meta struct {
	Comm      string    `json:"comm,omitempty"`
	UID       int       `json:"uid,omitempty"`
	BootID    string    `json:"boot_id,omitempty"`
	PID       int       `json:"pid,omitempty"`
	Time      time.Time `json:"time,omitzero"`
	Exe       string    `json:"exe,omitempty"`
	Signal    int       `json:"signal,omitempty"`
	Hostname  string    `json:"hostname,omitempty"`
	FromName  bool      `json:"from_name,omitempty"`
	FromXattr bool      `json:"from_xattr,omitempty"`
}

// maxXattr bounds one extended attribute's value.
const maxXattr = 4096

// ReadMeta parses a systemd-coredump file name and reads its extended
// attributes. Fields it cannot find stay zero.
func ReadMeta(path string) Meta {
	var m Meta
	name := filepath.Base(path)
	for _, ext := range []string{".zst", ".xz", ".lz4", ".gz"} {
		name = strings.TrimSuffix(name, ext)
	}
	// core.<comm>.<uid>.<boot id>.<pid>.<usec>; comm may hold dots, so
	// count fields from the end.
	if parts := strings.Split(name, "."); len(parts) >= 6 && parts[0] == "core" {
		n := len(parts)
		uid, e1 := strconv.Atoi(parts[n-4])
		pid, e2 := strconv.Atoi(parts[n-2])
		usec, e3 := strconv.ParseInt(parts[n-1], 10, 64)
		if e1 == nil && e2 == nil && e3 == nil && len(parts[n-3]) == 32 {
			m.Comm = strings.Join(parts[1:n-4], ".")
			m.UID, m.BootID, m.PID = uid, parts[n-3], pid
			m.Time = time.UnixMicro(usec).UTC()
			m.FromName = true
		}
	}
	get := func(attr string) string {
		buf := make([]byte, maxXattr)
		n, err := syscall.Getxattr(path, "user.coredump."+attr, buf)
		if err != nil || n <= 0 {
			return ""
		}
		return strings.TrimRight(string(buf[:n]), "\x00")
	}
	if v := get("exe"); v != "" {
		m.Exe, m.FromXattr = v, true
	}
	if v := get("comm"); v != "" {
		m.Comm, m.FromXattr = v, true
	}
	if v, err := strconv.Atoi(get("pid")); err == nil {
		m.PID, m.FromXattr = v, true
	}
	if v, err := strconv.Atoi(get("uid")); err == nil {
		m.UID = v
	}
	if v, err := strconv.Atoi(get("signal")); err == nil {
		m.Signal, m.FromXattr = v, true
	}
	if v, err := strconv.ParseInt(get("timestamp"), 10, 64); err == nil {
		m.Time = time.UnixMicro(v).UTC()
	}
	if v := get("hostname"); v != "" {
		m.Hostname = v
	}
	return m
}

// Empty reports whether nothing was found.
func (m Meta) Empty() bool { return !m.FromName && !m.FromXattr }
