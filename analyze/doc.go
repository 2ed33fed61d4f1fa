// Package analyze builds a report.Report from a core file: it wires the
// core reader (corefile), the modules and symbols (symbolize) and the
// unwinder (stackmap) together, then explains the crash. Each diagnosis
// lives in a file of its own, run in the order diagnose.go lists. The
// renderers (package render) and the batch scanner (package scan) read
// the Report this package builds.
package analyze
