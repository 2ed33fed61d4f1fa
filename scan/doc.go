// Package scan analyzes every core under some directories, each in
// isolation (a panic, an error or a timeout becomes that core's row), groups
// the cores by crash signature, and writes the result as a table, JSON
// Lines, JSON, Markdown or JUnit XML. The formats read only a Result, so
// they can be tested on hand-built ones.
package scan
