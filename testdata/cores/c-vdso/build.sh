#!/usr/bin/env bash
# Builds prog and makes core.zst: a fault inside the vDSO's clock_gettime,
# called from read_clock, a function without CFI (frame pointer only).
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -c -o main.o main.c
gcc -O1 -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-omit-frame-pointer -c -o nocfi.o nocfi.c
gcc -o prog main.o nocfi.o
rm -f main.o nocfi.o
crash_core "$PWD" "$PWD/prog"
