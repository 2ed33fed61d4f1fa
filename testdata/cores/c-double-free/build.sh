#!/usr/bin/env bash
# Builds prog and makes core.zst: a double free that glibc's malloc detects (abort in malloc_printerr)
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"
