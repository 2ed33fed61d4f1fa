package main

import (
	"github.com/spf13/cobra"

	"github.com/coreview/coreview/scan"
)

// newWorkerCmd is the hidden command scan runs in child processes
// (scan.Isolation): WorkerRequests on standard input, a line each, each
// core's row as JSON on standard output.
func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "worker",
		Short:  "Analyze one core for scan (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return scan.ServeWorker(cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}
