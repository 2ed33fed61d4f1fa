#!/usr/bin/env bash
# Builds prog and makes core.zst: a recursive-descent parser overflowing a
# 1 MiB main stack on deeply nested input it read into a malloc'd buffer
# (c-parse-heap) or mapped with mmap (c-parse-mmap). The input lives at a
# fixed path, copied into testdata/sysroot so that coreview finds it there
# with --sysroot; stderr.txt records the offset the parser reached.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
mode=${PWD##*/c-parse-}
input=/tmp/coreview-parse/input.txt
mkdir -p "$(dirname "$input")" "$SYSROOT$(dirname "$input")"
python3 gen.py >"$input"
cp "$input" "$SYSROOT$input"
gcc -O1 -g -o prog main.c
STACK_LIMIT=1024 crash_core "$PWD" "$PWD/prog" "$mode" "$input"
