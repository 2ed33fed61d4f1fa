#!/usr/bin/env bash
# Builds prog and makes core.zst: 60 threads, one overflows its 256 KiB
# pthread stack.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -pthread -o prog main.c
crash_core "$PWD" "$PWD/prog"
