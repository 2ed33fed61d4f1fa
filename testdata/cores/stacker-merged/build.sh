#!/usr/bin/env bash
# Builds prog and makes core.zst: a recursion overflows a 1 MiB stacker
# segment whose RW mapping the kernel merged with the anonymous mapping
# above it. Needs Debian's librust-stacker-dev (crates from
# /usr/share/cargo/registry, offline; see .cargo/config.toml).
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
cargo build --release --offline -q
cp target/release/segmerged prog
rm -rf target Cargo.lock
crash_core "$PWD" "$PWD/prog"
