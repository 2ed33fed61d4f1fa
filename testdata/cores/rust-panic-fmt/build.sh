#!/usr/bin/env bash
# Builds prog and makes core.zst: a formatted panic! with panic = "abort"

set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
cargo build --release --offline -q
cp target/release/rust_panic_fmt prog
rm -rf target Cargo.lock
crash_core "$PWD" "$PWD/prog"
