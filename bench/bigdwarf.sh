#!/usr/bin/env bash
# bench/bigdwarf.sh [DIR]: builds a Rust debug program with 140+ MB of DWARF
# (bench/bigdwarf/gen.py: 300 modules of generic-heavy code, a 20-deep call
# chain that aborts), crashes it for a core, and times coreview's full
# analysis (with file:line for every frame) beside gdb, then runs
# BenchmarkAnalyzeBigDWARF. Needs cargo, gdb, hyperfine and core_pattern
# "core"; the build takes about a minute. DIR (default: a temporary
# directory) keeps the program and the core for later runs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$(mktemp -d)}
for tool in cargo gdb hyperfine python3 objcopy readelf /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bigdwarf: $tool is not installed" >&2; exit 1; }
done
if [ "$(cat /proc/sys/kernel/core_pattern)" != core ]; then
	echo "bigdwarf: core_pattern is '$(cat /proc/sys/kernel/core_pattern)'; set it to 'core'" >&2
	exit 1
fi
if [ ! -f "$DIR/core" ]; then
	python3 "$ROOT/bench/bigdwarf/gen.py" "$DIR/src-tree" 300 20
	(cd "$DIR/src-tree" && cargo build --offline -q)
	cp "$DIR/src-tree/target/debug/bigdwarf" "$DIR/bigdwarf"
	rm -rf "$DIR/src-tree/target"
	(cd "$DIR" && ulimit -c unlimited && ./bigdwarf >/dev/null 2>&1) || true
	[ -f "$DIR/core" ] || { echo "bigdwarf: no core written" >&2; exit 1; }
fi
dwarf=$(readelf -SW "$DIR/bigdwarf" | python3 -c '
import sys
t = 0
for l in sys.stdin:
    p = l.split()
    for i, x in enumerate(p):
        if x.startswith(".debug_"):
            t += int(p[i + 4], 16)
print("%.0f" % (t / 1e6))')
echo "bigdwarf: $DIR/bigdwarf has $dwarf MB of DWARF; core $DIR/core"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$DIR/coreview" ./cmd/coreview)
objcopy --strip-debug "$DIR/bigdwarf" "$DIR/bigdwarf-nodebug"
hyperfine -N --warmup 1 --runs 10 \
	-n "coreview (DWARF: file:line, inlined frames)" "$DIR/coreview analyze $DIR/core --binary $DIR/bigdwarf --format json --offline" \
	-n "coreview (same binary without DWARF)" "$DIR/coreview analyze $DIR/core --binary $DIR/bigdwarf-nodebug --format json --offline" \
	-n "gdb -batch -ex 'thread apply all bt'" "gdb -batch -nx -iex 'set debuginfod enabled off' -ex 'thread apply all bt' $DIR/bigdwarf $DIR/core"
for b in bigdwarf bigdwarf-nodebug; do
	/usr/bin/time -f "peak RSS, coreview with $b: %M KiB" "$DIR/coreview" analyze "$DIR/core" --binary "$DIR/$b" --format json --offline >/dev/null
done
/usr/bin/time -o "$DIR/gdb.rss" -f "peak RSS, gdb: %M KiB" gdb -batch -nx -iex 'set debuginfod enabled off' -ex 'thread apply all bt' "$DIR/bigdwarf" "$DIR/core" >/dev/null 2>&1
cat "$DIR/gdb.rss"
(cd "$ROOT" && COREVIEW_BIGDWARF=$DIR go test -run XXX -bench BigDWARF -benchtime 10x ./analyze | grep Benchmark)
