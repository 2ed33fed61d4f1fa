#!/usr/bin/env bash
# Runs coreview beside gdb and eu-stack on the same real cores and prints a
# table of median wall times (hyperfine), peak RSS (/usr/bin/time -v) and
# the ratios peer/coreview.
#
# The cores are made fresh from the local toolchain:
#   rustc-lexer   rustc overflowing its lexer on 20,000 nested parentheses
#   c-threads     the 61-thread C fixture (testdata/cores/c-threads)
#   rust-thread   the Rust thread-overflow fixture
# Needs: go, gdb, hyperfine, elfutils (eu-stack), zstd, rustc; core_pattern "core".
# Usage: bench/compare.sh [--full-eu-stack]   (eu-stack -n 0 on the rustc core takes minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

go build -o "$WORK/coreview" ./cmd/coreview
CV=$WORK/coreview

# rustc lexer overflow.
RUSTC=$(rustc --print sysroot)/bin/rustc
mkdir -p "$WORK/rustc"
python3 -c "print('fn main() { let _ = ' + '('*20000 + '1' + ')'*20000 + '; }')" >"$WORK/rustc/x.rs"
(cd "$WORK/rustc" && ulimit -c unlimited && exec "$RUSTC" --edition 2021 x.rs >/dev/null 2>&1) 2>/dev/null || true
[ -f "$WORK/rustc/core" ] || { echo "rustc did not dump core (core_pattern must be 'core')" >&2; exit 1; }

# Fixture cores, decompressed.
for f in c-threads rust-thread-overflow; do
	zstd -q -d -f "testdata/cores/$f/core.zst" -o "$WORK/$f.core"
done

# name | core | binary | sysroot
cases=(
	"rustc-lexer|$WORK/rustc/core|$RUSTC|/"
	"c-threads|$WORK/c-threads.core|$ROOT/testdata/cores/c-threads/prog|$ROOT/testdata/sysroot"
	"rust-thread|$WORK/rust-thread-overflow.core|$ROOT/testdata/cores/rust-thread-overflow/prog|$ROOT/testdata/sysroot"
)

median() { # hyperfine JSON -> median seconds
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"
}
peak() { # command... -> peak RSS in MiB
	/usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {printf "%.0f", $6/1024}'
}

printf "%-12s %-9s %10s %10s %10s %10s\n" core tool median_s peak_MiB time_x mem_x
for c in "${cases[@]}"; do
	IFS='|' read -r name core bin sysroot <<<"$c"
	cv_cmd="$CV analyze $core --binary $bin --sysroot $sysroot --format json"
	gdb_cmd="gdb -batch -nx -iex 'set debuginfod enabled off' -ex 'set sysroot $sysroot' -ex 'file $bin' -ex 'core-file $core' -ex 'thread apply all bt'"
	eu_cmd="eu-stack -e $bin --core $core"
	hyperfine -N --warmup 1 --runs 10 --export-json "$WORK/cv.json" "$cv_cmd" >/dev/null 2>&1
	hyperfine --warmup 1 --runs 5 --export-json "$WORK/gdb.json" "$gdb_cmd" >/dev/null 2>&1
	hyperfine --runs 3 -i --export-json "$WORK/eu.json" "$eu_cmd" >/dev/null 2>&1
	cv_t=$(median "$WORK/cv.json"); gdb_t=$(median "$WORK/gdb.json"); eu_t=$(median "$WORK/eu.json")
	cv_m=$(peak $CV analyze "$core" --binary "$bin" --sysroot "$sysroot" --format json)
	gdb_m=$(peak gdb -batch -nx -iex 'set debuginfod enabled off' -ex "set sysroot $sysroot" -ex "file $bin" -ex "core-file $core" -ex 'thread apply all bt')
	eu_m=$(peak eu-stack -e "$bin" --core "$core" || true)
	ratio() { python3 -c "print('%.1f' % (float('$1')/float('$2')))"; }
	printf "%-12s %-9s %10.3f %10s %10s %10s\n" "$name" coreview "$cv_t" "$cv_m" 1.0 1.0
	printf "%-12s %-9s %10.3f %10s %10s %10s\n" "$name" gdb "$gdb_t" "$gdb_m" "$(ratio "$gdb_t" "$cv_t")" "$(ratio "$gdb_m" "$cv_m")"
	printf "%-12s %-9s %10.3f %10s %10s %10s\n" "$name" eu-stack "$eu_t" "$eu_m" "$(ratio "$eu_t" "$cv_t")" "$(ratio "$eu_m" "$cv_m")"
done

if [ "${1:-}" = "--full-eu-stack" ]; then
	# eu-stack stops at 256 frames by default; -n 0 walks all 10,000+.
	start=$(date +%s.%N)
	eu-stack -n 0 -e "$RUSTC" --core "$WORK/rustc/core" >/dev/null 2>&1 || true
	end=$(date +%s.%N)
	cv_t=$(python3 -c "import json; print(json.load(open('$WORK/cv.json'))['results'][0]['median'])" 2>/dev/null || echo 0)
	echo "eu-stack -n 0 on rustc-lexer: $(python3 -c "print('%.1f' % ($end-$start))") s"
fi

# Scaling: a 2x deeper stack (the c-recursion fixture's program at 2 and 4 MiB).
echo
echo "scaling: c-recursion program, main stack 4 MiB vs 8 MiB"
for mib in 4 8; do
	mkdir -p "$WORK/scale$mib"
	(cd "$WORK/scale$mib" && ulimit -c unlimited && ulimit -s $((mib * 1024)) && "$ROOT/testdata/cores/c-recursion/prog" >/dev/null 2>&1) || true
	hyperfine -N --warmup 1 --runs 10 --export-json "$WORK/s$mib.json" \
		"$CV analyze $WORK/scale$mib/core --binary $ROOT/testdata/cores/c-recursion/prog --format json" >/dev/null 2>&1
	frames=$($CV analyze "$WORK/scale$mib/core" --binary "$ROOT/testdata/cores/c-recursion/prog" --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['threads'][0]['frames']))")
	printf "  %s MiB: %s frames, %.3f s\n" "$mib" "$frames" "$(median "$WORK/s$mib.json")"
done

# scan scaling: 60 cores (the fixtures, six copies each, each with its binary as "bin").
echo
echo "scan: 60 fixture cores, --jobs 1 vs --jobs 2"
for i in 1 2 3 4 5 6; do
	for f in c-null-call c-abort c-recursion c-threads rust-thread-overflow stacker-segment c-dlclose rust-panic-abort c-null-deref c-ud2; do
		mkdir -p "$WORK/scan/$f-$i"
		cp "testdata/cores/$f/core.zst" "$WORK/scan/$f-$i/core.zst"
		cp "testdata/cores/$f/prog" "$WORK/scan/$f-$i/bin"
	done
done
for j in 1 2; do
	hyperfine -N -i --warmup 1 --runs 5 --export-json "$WORK/scan$j.json" \
		"$CV scan $WORK/scan -r --sysroot $ROOT/testdata/sysroot --format jsonl -j $j" >/dev/null 2>&1
done
j1=$(median "$WORK/scan1.json"); j2=$(median "$WORK/scan2.json")
printf "  --jobs 1: %.2f s   --jobs 2: %.2f s   speed-up %.2fx\n" "$j1" "$j2" "$(python3 -c "print($j1/$j2)")"
