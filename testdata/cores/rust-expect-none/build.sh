#!/usr/bin/env bash
# Builds prog and makes core.zst: expect on None with panic = "abort"

set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
cargo build --release --offline -q
cp target/release/rust_expect_none prog
rm -rf target Cargo.lock
crash_core "$PWD" "$PWD/prog"
