#!/usr/bin/env bash
# Builds prog and makes core.zst: a read of a mapped file past its end after the file was truncated (SIGBUS, BUS_ADRERR)
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"
