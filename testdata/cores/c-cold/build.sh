#!/usr/bin/env bash
# Builds prog with gcc -O2 (parse is split into parse and parse.cold) and
# makes core.zst: a null dereference inside parse.cold.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O2 -o prog main.c
crash_core "$PWD" "$PWD/prog"
