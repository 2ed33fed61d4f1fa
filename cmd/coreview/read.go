package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/coreview/coreview/analyze"
)

type readOptions struct {
	core   coreFlags
	length int
	format string
}

func newReadCmd() *cobra.Command {
	o := &readOptions{}
	cmd := &cobra.Command{
		Use:   "read CORE ADDR",
		Short: "Dump memory at an address as hex and ASCII, each line with its mapping and code pointers named",
		Long: `read prints the process's memory as gdb's x or mdb's ::dump would: 16 bytes a line in hex and
ASCII, each line with the mapping and role it lies in (as whatis says), and the 8-byte words
that point into code with the function they point into. Bytes the core does not hold (not
dumped, not mapped) are shown as ?? with the reason, never as zeros.`,
		Example: `  coreview read core.1234 0x7ffd1c3a9e40
  coreview read core.zst 0x55d0c8a01234 --length 256 --binary ./myprog --format json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := strconv.ParseUint(args[1], 0, 64)
			if err != nil {
				return &usageError{fmt.Errorf("%q is not an address (use 0x… or decimal)", args[1])}
			}
			if o.length <= 0 || o.length > analyze.MaxDump {
				return &usageError{fmt.Errorf("--length must be 1 to %d bytes, not %d", analyze.MaxDump, o.length)}
			}
			switch o.format {
			case "text", "json":
			default:
				return &usageError{fmt.Errorf("--format must be text or json, not %q", o.format)}
			}
			s, err := analyze.Open(args[0], o.core.options())
			if err != nil {
				return err
			}
			defer s.Close()
			s.Report()
			d := s.ReadMemory(addr, o.length)
			out := cmd.OutOrStdout()
			if o.format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			where := ""
			for _, l := range d.Lines {
				if l.Where != where {
					fmt.Fprintf(out, "%s\n", l.Where)
					where = l.Where
				}
				fmt.Fprintf(out, "  %#016x  %-47s  |%-16s|", uint64(l.Address), l.Hex, l.ASCII)
				if l.Unreadable != "" {
					fmt.Fprintf(out, "  (%s)", l.Unreadable)
				}
				fmt.Fprintln(out)
				for _, p := range l.Pointers {
					fmt.Fprintf(out, "      %#x: %#x → %s\n", uint64(p.Address), uint64(p.Value), p.Symbol)
				}
			}
			return nil
		},
	}
	o.core.register(cmd)
	cmd.Flags().IntVar(&o.length, "length", 64, "read `N` bytes")
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	return cmd
}
