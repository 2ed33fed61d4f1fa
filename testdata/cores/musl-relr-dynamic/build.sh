#!/usr/bin/env bash
# Builds prog and makes core.zst: a dynamic musl PIE linked with
# -z pack-relative-relocs whose loader (musl 1.2.3) never applies DT_RELR.
# Needs Debian's musl-tools.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
musl-gcc -O1 -fPIE -pie -Wl,-z,pack-relative-relocs -Wl,--build-id -o prog main.c
crash_core "$PWD" "$PWD/prog"
