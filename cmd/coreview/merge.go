package main

import (
	"github.com/spf13/cobra"

	"github.com/coreview/coreview/scan"
)

func newMergeCmd() *cobra.Command {
	var o scanOutput
	cmd := &cobra.Command{
		Use:   "merge FILE.jsonl...",
		Short: "Merge the JSON Lines of several scans into one summary, grouped by signature",
		Long: `merge reads the output of several "coreview scan --format jsonl" runs (a test matrix, one scan
per machine) and writes one result, in any scan format, with the cores of all of them grouped by
crash signature: each machine scans its own cores, one job merges. Each core keeps the file it
came from (job), and each crash lists the files whose cores hit it.

Exit status as for scan: 0 no crash; 1 crashes (only new ones with --baseline; only those of the
--fail-on kinds or signals, when given); 2 usage error or a file that is not scan JSON Lines;
3 some cores could not be analyzed.`,
		Example: `  coreview merge linux-x86/crashes.jsonl linux-arm/crashes.jsonl --format markdown
  coreview merge jobs/*.jsonl --baseline known.json --format junit > crashes.xml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(cmd); err != nil {
				return err
			}
			res, err := scan.Merge(args)
			if err != nil {
				return err
			}
			return o.write(cmd, res)
		},
	}
	o.register(cmd)
	return cmd
}
