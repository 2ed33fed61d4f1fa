package analyze

import (
	"fmt"
	"sort"
	"strings"
)

// DiagnosisKinds lists every diagnosis kind a report can carry, in the
// order of the README's table (the schema's enum holds the same list).
var DiagnosisKinds = []string{
	"stack-overflow", "stack-segments", "unrelocated-pointer", "early-init",
	"null-call", "bad-pc", "exec-non-exec",
	"null-dereference", "write-to-readonly", "invalid-access", "non-canonical-address", "bus-error", "misaligned",
	"illegal-instruction", "divide-error", "abort",
}

// SignalNames lists the signal names coreview knows ("SIGABRT"…), sorted.
func SignalNames() []string {
	out := make([]string, 0, len(signalNames))
	for _, s := range signalNames {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// CheckFailOn validates scan --fail-on values: each must be a diagnosis
// kind or a signal name (any case). The error lists the valid values.
func CheckFailOn(values []string) error {
	var bad []string
	for _, v := range values {
		if !isKind(v) && !isSignalName(v) {
			bad = append(bad, fmt.Sprintf("%q", v))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("--fail-on: unknown kind or signal %s; kinds: %s; signals: %s",
		strings.Join(bad, ", "), strings.Join(DiagnosisKinds, ", "), strings.Join(SignalNames(), ", "))
}

func isKind(v string) bool {
	for _, k := range DiagnosisKinds {
		if v == k {
			return true
		}
	}
	return false
}

func isSignalName(v string) bool {
	for _, s := range signalNames {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
