package main

import (
	"io"

	"github.com/spf13/cobra"
)

func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
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
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newAnalyzeCmd(), newMapsCmd(), newWhatisCmd(), newScanCmd())
	return root
}
