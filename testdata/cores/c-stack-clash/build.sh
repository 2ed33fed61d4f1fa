#!/usr/bin/env bash
# Builds prog and makes core.zst: a recursion whose frames are allocated by
# GCC's stack-clash probe loop overflows a 256 KiB pthread stack.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -fstack-clash-protection -pthread -o prog main.c
crash_core "$PWD" "$PWD/prog"
