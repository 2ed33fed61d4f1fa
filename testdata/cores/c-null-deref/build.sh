#!/usr/bin/env bash
# Builds prog and makes core.zst: a read through a null struct pointer (the field weight at offset 0x10)
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"
