#!/usr/bin/env bash
# Builds prog and makes core.zst: a call into a writable, non-executable buffer on the heap (SEGV_ACCERR at the PC)
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"
