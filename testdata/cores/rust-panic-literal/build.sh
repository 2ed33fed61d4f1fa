#!/usr/bin/env bash
# Builds prog and makes core.zst: panic! with a literal message, panic = "abort"

set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
cargo build --release --offline -q
cp target/release/rust_panic_literal prog
rm -rf target Cargo.lock
crash_core "$PWD" "$PWD/prog"
