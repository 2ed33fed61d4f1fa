#!/usr/bin/env bash
# Builds prog and makes core.zst (see README.md)
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
export RUST_BACKTRACE=1 # the backtrace printer maps debug files: they must not become modules
cargo build --release --offline -q
cp target/release/nested_panic prog
rm -rf target Cargo.lock
crash_core "$PWD" "$PWD/prog"
