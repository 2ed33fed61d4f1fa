#!/usr/bin/env bash
# Builds prog (non-PIE, ET_EXEC) and makes core.zst: a null dereference in
# a qsort callback.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -fno-pie -no-pie -o prog main.c
crash_core "$PWD" "$PWD/prog"
