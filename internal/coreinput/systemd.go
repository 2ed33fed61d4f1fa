package coreinput

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/coreview/coreview/internal/safefile"
	"github.com/coreview/coreview/report"
)

// Meta is what systemd-coredump records about a core outside the core
// itself (report.Systemd, the report's own record of it), with what was
// dropped on the way.
type Meta struct {
	report.Systemd
	// Warnings says which recorded values were dropped as impossible.
	Warnings []string `json:"-"`
}

// The range of timestamps kept: from the epoch to the last microsecond of
// year 9999, the last time RFC 3339 (and so encoding/json) can write. A
// core has no business being older than the epoch, and 2^63-1 µs in a
// file name made JSON encoding of the whole report fail.
var maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)

// timestamp converts systemd's microseconds since the epoch, or says why
// it cannot be a time.
func timestamp(usec int64, where string, m *Meta) (time.Time, bool) {
	// time.UnixMicro of values near the int64 limits wraps; compare
	// seconds first.
	if usec < 0 || usec/1e6 > maxTime.Unix() {
		m.Warnings = append(m.Warnings, fmt.Sprintf("systemd metadata: timestamp %d µs in %s is out of range (before 1970 or after 9999); dropped", usec, where))
		return time.Time{}, false
	}
	return time.UnixMicro(usec).UTC(), true
}

// maxXattr bounds one extended attribute's value.
const maxXattr = 4096

// ReadMeta parses a systemd-coredump file name and reads its extended
// attributes. Fields it cannot find stay zero.
func ReadMeta(path string) Meta {
	f, err := safefile.Open(path)
	if err != nil {
		return readMeta(path, func(string, []byte) (int, error) { return 0, err })
	}
	defer f.Close()
	return ReadMetaFile(f, path)
}

// ReadMetaFile is ReadMeta on an open file: the name parsed is path's,
// the extended attributes are the descriptor's (fgetxattr), so they are
// the file's that is read, whatever the name now leads to.
func ReadMetaFile(f *os.File, path string) Meta {
	rc, err := f.SyscallConn()
	if err != nil {
		return readMeta(path, func(string, []byte) (int, error) { return 0, err })
	}
	return readMeta(path, func(attr string, buf []byte) (n int, err error) {
		if cerr := rc.Control(func(fd uintptr) { n, err = unix.Fgetxattr(int(fd), attr, buf) }); cerr != nil {
			return 0, cerr
		}
		return n, err
	})
}

// readMeta parses path's name and reads the attributes with getxattr.
func readMeta(path string, getxattr func(attr string, buf []byte) (int, error)) Meta {
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
			m.Time, _ = timestamp(usec, "the file name", &m)
			m.FromName = true
		}
	}
	get := func(attr string) string {
		buf := make([]byte, maxXattr)
		n, err := getxattr("user.coredump."+attr, buf)
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
	if v := get("timestamp"); v != "" {
		if usec, err := strconv.ParseInt(v, 10, 64); err != nil {
			m.Warnings = append(m.Warnings, fmt.Sprintf("systemd metadata: timestamp %q in the user.coredump.timestamp attribute is not a number of microseconds; dropped", v))
		} else if t, ok := timestamp(usec, "the user.coredump.timestamp attribute", &m); ok {
			m.Time = t
		}
	}
	if v := get("hostname"); v != "" {
		m.Hostname = v
	}
	return m
}

// Empty reports whether nothing was found.
func (m Meta) Empty() bool { return !m.FromName && !m.FromXattr }
