#!/usr/bin/env bash
# Builds prog and makes core.zst: a Rust recursion with 24 KiB frames
# (LLVM inline stack probes) overflows a 1 MiB thread stack, faulting on a
# probe inside the prologue; std's overflow handler aborts.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
cargo build --release --offline -q
cp target/release/probe_overflow prog
rm -rf target Cargo.lock
crash_core "$PWD" "$PWD/prog"
