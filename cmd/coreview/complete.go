package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/coreview/coreview/internal/coreinput"
	"github.com/coreview/coreview/report"
)

// formats lists each command's --format values, first the default: the
// one list that both validates the flag and completes it.
var formats = map[string][]string{
	"analyze": {"text", "json", "markdown", "html"},
	"whatis":  {"text", "json"},
	"scan":    {"table", "jsonl", "json", "markdown", "junit", "sarif"},
	"merge":   {"table", "jsonl", "json", "markdown", "junit", "sarif"},
}

// checkFormat makes a --format value the command does not write a usage
// error that lists the ones it does.
func checkFormat(cmd *cobra.Command, v string) error {
	list := formats[cmd.Name()]
	for _, f := range list {
		if v == f {
			return nil
		}
	}
	return usagef("--format must be %s, not %q", orList(list), v)
}

// orList writes "a, b or c".
func orList(l []string) string {
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " or " + l[len(l)-1]
}

// registerCompletions teaches the shells the values of coreview's flags:
// --format per command, --thread from the core named on the command line,
// --fail-on from the diagnosis kinds and signal names.
func registerCompletions(root *cobra.Command) {
	for _, cmd := range root.Commands() {
		if list, ok := formats[cmd.Name()]; ok {
			_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(list, cobra.ShellCompDirectiveNoFileComp))
		}
		if cmd.Flags().Lookup("thread") != nil {
			_ = cmd.RegisterFlagCompletionFunc("thread", completeThread)
		}
		if cmd.Flags().Lookup("fail-on") != nil {
			_ = cmd.RegisterFlagCompletionFunc("fail-on", completeFailOn)
		}
	}
}

// completeThread offers all, crashed and the thread ids of the core already
// on the command line. Only the core's notes are read; a core that cannot be
// read yet (not typed, standard input) completes to the two words.
func completeThread(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	out := []string{"all\tevery thread", "crashed\tthe thread that took the signal"}
	if len(args) == 0 || args[0] == stdinCore {
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	var max int64
	if f := cmd.Flags().Lookup("max-core-size"); f != nil {
		if s, ok := f.Value.(*byteSize); ok {
			max = int64(*s)
		}
	}
	c, err := coreinput.Open(args[0], max)
	if err != nil {
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	defer c.Close()
	crashed := c.CrashedThread()
	for _, t := range c.Threads {
		desc := "thread"
		if t == crashed {
			desc = "the crashed thread"
		}
		out = append(out, strconv.Itoa(t.TID)+"\t"+desc)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeFailOn offers the diagnosis kinds and signal names after the
// values already typed (--fail-on is a comma-separated list).
func completeFailOn(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	prefix := ""
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		prefix = toComplete[:i+1]
	}
	var out []string
	for _, k := range report.Kinds {
		out = append(out, prefix+string(k)+"\tdiagnosis kind")
	}
	for _, s := range report.SignalNames() {
		out = append(out, prefix+s+"\tsignal")
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// plainUsages removes the backticks that name a flag's argument in its
// usage (pflag turns "`DIR`" into the placeholder in --help) from every
// flag of the tree: cobra hands the raw usage to zsh and fish as the
// completion's description, where they showed up as literal backticks.
func plainUsages(cmd *cobra.Command) {
	strip := func(f *pflag.Flag) { f.Usage = strings.ReplaceAll(f.Usage, "`", "") }
	cmd.Flags().VisitAll(strip)
	cmd.PersistentFlags().VisitAll(strip)
	for _, c := range cmd.Commands() {
		plainUsages(c)
	}
}
