package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/coreview/coreview/analyze"
)

type whatisOptions struct {
	core   coreFlags
	format string
}

func newWhatisCmd() *cobra.Command {
	o := &whatisOptions{}
	cmd := &cobra.Command{
		Use:   "whatis CORE|- ADDR...",
		Short: "Say what an address is: mapping, role, owner thread, symbol, stack frame",
		Example: `  coreview whatis core.1234 0x7f814a1ffff8
  coreview whatis core.zst 0x55d0c8a01234 --binary ./myprog --format json`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(cmd, o.format); err != nil {
				return err
			}
			var addrs []uint64
			for _, a := range args[1:] {
				v, err := strconv.ParseUint(a, 0, 64)
				if err != nil {
					return &usageError{fmt.Errorf("%q is not an address (use 0x… or decimal)", a)}
				}
				addrs = append(addrs, v)
			}
			opts := o.core.options()
			file, done, err := coreArg(args[0], cmd.InOrStdin(), opts.MaxCoreSize)
			if err != nil {
				return err
			}
			defer done()
			s, err := analyze.Open(file, opts)
			if err != nil {
				return fromStdin(err, args[0], file)
			}
			defer s.Close()
			r, err := s.Analyze()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, a := range addrs {
				w := s.WhatIs(a, r)
				if o.format == "json" {
					enc := json.NewEncoder(out)
					if err := enc.Encode(w); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(out, "%#x: %s\n", a, w.Where)
				if w.Function != "" {
					fmt.Fprintf(out, "  symbol %s+%#x in %s\n", w.Function, w.Offset, w.Module)
				}
				for _, l := range w.Source {
					what := "source"
					if l.Inlined {
						what = "inlined"
					}
					fmt.Fprintf(out, "  %s %s\n", what, l)
				}
				for _, f := range w.Frames {
					fmt.Fprintf(out, "  in %s\n", f)
				}
			}
			return nil
		},
	}
	o.core.register(cmd)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	return cmd
}
