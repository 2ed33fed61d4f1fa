#!/usr/bin/env bash
# Builds prog and makes core.zst: a misaligned load with EFLAGS.AC set
# (SIGBUS, BUS_ADRALN).
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"
