package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// versionString is what --version prints: the module version the binary
// was built as ("(devel)" for a build in a checkout), the VCS revision and
// time the go command stamped into it, and the Go release. Without build
// info (a test binary) it says so rather than inventing a version.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information in the binary)"
	}
	return formatVersion(bi)
}

func formatVersion(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, when, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	var b strings.Builder
	b.WriteString(v)
	if rev != "" {
		fmt.Fprintf(&b, " (revision %s", rev)
		if when != "" {
			b.WriteString(", " + when)
		}
		b.WriteString(dirty + ")")
	}
	if bi.GoVersion != "" {
		b.WriteString(", built with " + bi.GoVersion)
	}
	return b.String()
}
