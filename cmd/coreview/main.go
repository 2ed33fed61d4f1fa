// Command coreview analyzes x86_64 Linux core dumps: every thread's stack,
// the memory map, and what the crash was.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
