// Package analyze builds a Report from a core file: it wires the core
// reader (corefile), the modules and symbols (symbolize) and the unwinder
// (stackmap) together, then explains the crash. Each diagnosis lives in a
// file of its own. Renderers for text and JSON live here too, so every
// front end prints the same report.
package analyze
