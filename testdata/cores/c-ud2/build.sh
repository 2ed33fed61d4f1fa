#!/usr/bin/env bash
# Builds prog and makes core.zst: __builtin_trap (ud2): SIGILL
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"
