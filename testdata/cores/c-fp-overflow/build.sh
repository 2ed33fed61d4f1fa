#!/usr/bin/env bash
# Builds prog and makes core.zst: a frame-pointer recursion overflows a
# 256 KiB pthread stack.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -fno-omit-frame-pointer -pthread -o prog main.c
crash_core "$PWD" "$PWD/prog"
