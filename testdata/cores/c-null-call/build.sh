#!/usr/bin/env bash
# Builds prog and makes core.zst: a call through a null function pointer.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O1 -o prog main.c
crash_core "$PWD" "$PWD/prog"

# A second run for TestSignatureAcrossRuns: ASLR puts every module at other
# addresses, and the signature must stay the same.
mkdir -p run2
crash_core "$PWD/run2" "$PWD/prog"
