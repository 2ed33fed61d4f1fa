#!/usr/bin/env bash
# Builds prog and makes core.zst: a freestanding static-pie that crashes before anything applied its relocations
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -fPIE -static-pie -nostdlib -Wl,--no-relax -o prog main.c start.S
crash_core "$PWD" "$PWD/prog"
