package main

import (
	"io"

	"github.com/spf13/cobra"
)

func run(args []string, stdout, stderr io.Writer) int {
	return runRoot(newRootCmd(stdout, stderr), args, stderr)
}

// runRoot executes a command tree and maps its outcome to an exit status.
// A panic, which can only be a bug met on some input, becomes one line and
// status 3 like any input that could not be analyzed, not a goroutine dump
// in a CI log.
func runRoot(root *cobra.Command, args []string, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			code = exitCode(&internalError{r}, stderr)
		}
	}()
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		plainUsages(root)
	}
	root.SetArgs(args)
	return exitCode(root.Execute(), stderr)
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "coreview",
		Short: "Post-mortem analysis of x86_64 Linux core dumps",
		Long: `coreview reads an ELF core file plus the binary and shared libraries it names,
rebuilds every thread's stack and the memory map, and explains the crash.

` + exitHelp,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("coreview {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newAnalyzeCmd(), newMapsCmd(), newWhatisCmd(), newReadCmd(), newScanCmd(), newMergeCmd(), newWorkerCmd())
	root.InitDefaultCompletionCmd()
	registerCompletions(root)
	typedUsage(root)
	return root
}
