#!/usr/bin/env bash
# Builds prog and makes core.zst (see README.md)
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
unset RUST_BACKTRACE
cargo build --release --offline -q
cp target/release/process_abort prog
rm -rf target Cargo.lock
crash_core "$PWD" "$PWD/prog"
