#!/usr/bin/env bash
# Builds prog and makes core.zst: a C recursion that overflows the main
# thread's 2 MiB stack.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
STACK_LIMIT=2048 crash_core "$PWD" "$PWD/prog" deep recursion
