// Package render writes a report.Report for people: the text report of a
// terminal, Markdown for a bug tracker, and the memory-map table. It reads
// only the report, never a core, so every front end prints the same thing
// and each renderer can be tested on a hand-built Report. The JSON form is
// the report package's own.
package render
