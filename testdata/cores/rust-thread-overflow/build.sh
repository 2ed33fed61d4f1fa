#!/usr/bin/env bash
# Builds prog and makes core.zst: a Rust thread overflows its 256 KiB stack
# and std's overflow handler aborts.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
cargo build --release --offline -q
cp target/release/thread_overflow prog
rm -rf target Cargo.lock
crash_core "$PWD" "$PWD/prog"
