#!/usr/bin/env bash
# Builds prog and other-prog (the same program with 8 KiB more code), both
# without a build-id, and makes core.zst: a null dereference dumped with
# coredump_filter 0x23, which leaves out the ELF header pages (bit 4), so the
# core carries no module's build-id or headers. Not a PIE: gdb, the
# differential test's oracle, cannot relocate a PIE whose headers are not in
# the core.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -no-pie -Wl,--build-id=none -o prog main.c
gcc -O1 -no-pie -Wl,--build-id=none -DOTHER -o other-prog main.c
# The filter is inherited by the children crash_core starts.
echo 0x23 >/proc/self/coredump_filter
crash_core "$PWD" "$PWD/prog"
