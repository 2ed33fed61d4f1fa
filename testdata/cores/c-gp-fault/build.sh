#!/usr/bin/env bash
# Builds prog and makes core.zst: a read through a poisoned, non-canonical pointer (a general-protection fault)
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"
