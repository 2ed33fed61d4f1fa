#!/usr/bin/env bash
# Builds prog and libplugin.so and makes core.zst: a call into code that
# dlclose unmapped.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -shared -fPIC -o libplugin.so plugin.c
gcc -O1 -o prog main.c
crash_core "$PWD" bash -c "cp '$PWD/libplugin.so' . && '$PWD/prog'"
