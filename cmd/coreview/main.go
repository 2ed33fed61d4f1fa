// Command coreview analyzes x86_64 Linux core dumps: every thread's stack,
// the memory map, and what the crash was.
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	// A report's memory is mostly a few large, long-lived tables; collect
	// less often than the default (peak memory is measured in bench/).
	debug.SetGCPercent(400)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
