package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
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
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "coreview: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "coreview: %v\n", err)
	return exitBadInput
}

// usagef is a usageError with a formatted message.
func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

// typedUsage makes every way cobra reports a bad invocation a *usageError,
// so exitCode tells usage from analysis errors by type: flag errors already
// come through the root's FlagErrorFunc; argument counts are checked by
// each command's Args, wrapped here; an unknown command is the root's own
// argument check (cobra returns a plain error for it otherwise).
func typedUsage(root *cobra.Command) {
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usagef("%s", msg)
	}
	if root.RunE == nil && root.Run == nil {
		root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	var wrap func(c *cobra.Command)
	wrap = func(c *cobra.Command) {
		if check := c.Args; check != nil && c != root {
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					return &usageError{err}
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			wrap(sub)
		}
	}
	wrap(root)
}
