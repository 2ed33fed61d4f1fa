package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit statuses, the same for every command (documented in the README and
// in `coreview --help`).
const (
	exitOK       = 0 // the report was written
	exitCrashes  = 1 // scan: crashes were found
	exitUsage    = 2 // bad flags or arguments
	exitBadInput = 3 // an input could not be read or analyzed
)

const exitHelp = `Exit status:
  0  the report was written
  1  scan: crashes were found
  2  usage error (bad flags or arguments)
  3  an input could not be read or analyzed (not a core, truncated beyond use, unreadable)
`

// usageError marks errors in how coreview was invoked.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// internalError is a panic recovered at the top: coreview failed on this
// input. It maps to exitBadInput.
type internalError struct{ v any }

func (e *internalError) Error() string {
	msg := strings.Join(strings.Fields(fmt.Sprint(e.v)), " ")
	return "internal error (please report it with the input): " + msg
}

// exitStatus is a command's verdict that is not a failure: scan found
// crashes, or could not analyze some cores. msg, if set, is printed.
type exitStatus struct {
	code int
	msg  string
}

func (e *exitStatus) Error() string { return e.msg }

// exitCode maps an error returned by a command to an exit status, in one
// place.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var es *exitStatus
	if errors.As(err, &es) {
		if es.msg != "" {
			fmt.Fprintf(stderr, "coreview: %s\n", es.msg)
		}
		return es.code
	}
	var ue *usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintf(stderr, "coreview: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "coreview: %v\n", err)
	return exitBadInput
}

// isCobraUsage recognizes cobra's own flag and argument errors, which it
// returns as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "unknown command", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "requires at most", "bad flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
