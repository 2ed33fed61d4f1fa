#!/usr/bin/env bash
# Builds prog and makes core.zst: an integer division by zero: SIGFPE (FPE_INTDIV)
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"
