package main

import (
	"fmt"
	"strings"

	"github.com/coreview/coreview/report"
	"github.com/coreview/coreview/scan"
)

// checkFailOn validates scan --fail-on values: each must be a diagnosis
// kind or a signal name (any case). The error lists the valid values.
func checkFailOn(values []string) error {
	var bad []string
	for _, v := range values {
		if !isKind(v) && !isSignalName(v) && v != scan.FailOnSnapshot {
			bad = append(bad, fmt.Sprintf("%q", v))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("--fail-on: unknown kind or signal %s; kinds: %s; signals: %s; or %s",
		strings.Join(bad, ", "), strings.Join(kindNames(), ", "), strings.Join(report.SignalNames(), ", "), scan.FailOnSnapshot)
}

func isKind(v string) bool {
	for _, k := range report.Kinds {
		if v == string(k) {
			return true
		}
	}
	return false
}

func isSignalName(v string) bool {
	for _, s := range report.SignalNames() {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func kindNames() []string {
	out := make([]string, len(report.Kinds))
	for i, k := range report.Kinds {
		out[i] = string(k)
	}
	return out
}
