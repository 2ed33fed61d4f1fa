package main

import (
	"github.com/spf13/cobra"

	"github.com/coreview/coreview/analyze"
	"github.com/coreview/coreview/render"
)

type mapsOptions struct {
	core coreFlags
}

func newMapsCmd() *cobra.Command {
	o := &mapsOptions{}
	cmd := &cobra.Command{
		Use:   "maps CORE|-",
		Short: "Print the memory map of the process, like pmap, with each mapping's role",
		Example: `  coreview maps core.1234
  coreview maps core.zst --binary ./myprog`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := o.core.options()
			file, done, err := coreArg(args[0], cmd.InOrStdin(), opts.MaxCoreSize)
			if err != nil {
				return err
			}
			defer done()
			r, err := analyze.Analyze(file, opts)
			if err != nil {
				return fromStdin(err, args[0], file)
			}
			return render.Maps(cmd.OutOrStdout(), r)
		},
	}
	o.core.register(cmd)
	return cmd
}
