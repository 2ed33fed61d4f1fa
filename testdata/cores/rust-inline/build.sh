#!/usr/bin/env bash
# Builds prog (opt-level 1, debug = 2: full DWARF) and makes core.zst: a
# null read inside functions inlined into an iterator closure.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
cargo build --release --offline -q
cp target/release/rust_inline prog
# Compress the DWARF with zlib: a third of the size; the build-id and the
# loaded bytes stay the same.
objcopy --compress-debug-sections=zlib prog
rm -rf target Cargo.lock
crash_core "$PWD" "$PWD/prog"
