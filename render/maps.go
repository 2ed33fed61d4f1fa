package render

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/coreview/coreview/report"
)

// Maps writes the mapping table like pmap: start, end, size, perms,
// role, owner, file and offset.
func Maps(w io.Writer, r *report.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "START\tEND\tSIZE\tPERM\tROLE\tOWNER\tFILE\tOFFSET\n")
	var cut int
	for _, m := range r.Mappings {
		owner := ""
		if m.Owner != 0 {
			owner = fmt.Sprint(m.Owner)
		}
		off := ""
		if m.File != "" {
			off = fmt.Sprintf("%#x", uint64(m.Offset))
		}
		dumped := ""
		if !m.Dumped {
			dumped = "*"
		}
		note := ""
		if m.TruncatedAt != nil {
			dumped, note = "!", fmt.Sprintf("\tcut at %#x", uint64(*m.TruncatedAt))
			cut++
		}
		fprintf(tw, "%016x\t%016x\t%s\t%s%s\t%s\t%s\t%s\t%s%s\n", uint64(m.Start), uint64(m.End),
			humanSize(uint64(m.End-m.Start)), m.Perms, dumped, m.Role, owner, m.File, off, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	legend := "(* = bytes not in the core)\n"
	if cut > 0 {
		legend = "(* = bytes not in the core; ! = the core file is truncated: the mapping's bytes from its cut address on are lost)\n"
	}
	_, err := fmt.Fprint(w, legend)
	return err
}
