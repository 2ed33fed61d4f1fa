#!/usr/bin/env bash
# Builds prog and makes core.zst: a write to a string literal in .rodata (SEGV_ACCERR)
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"
