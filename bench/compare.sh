#!/usr/bin/env bash
# Runs coreview beside gdb and eu-stack on the same real cores and prints a
# table of median wall times and mean CPU times, user+sys (hyperfine), peak
# RSS (/usr/bin/time -v) and the ratios peer/coreview, then the scaling
# checks, each against the targets of issues 6 and 18. coreview is measured
# twice: with an empty cache of inflated debug information before every run
# (cold: a first analysis) and with the cache filled by the run before
# (warm). glibc's separate debug info (libc6-dbg) must be installed, as gdb
# users on Debian and Ubuntu have it: gdb reads it, and so does coreview.
#
# The cores are made fresh from the local toolchain, in a scratch directory
# (the committed fixtures are never touched):
#   rustc-lexer  rustc overflowing its lexer on 20,000 nested parentheses
#   c-threads    testdata/cores/c-threads/main.c built with gcc: 60 threads
#                and main, one overflows its 256 KiB stack
#   rust-thread  testdata/cores/rust-thread-overflow built with cargo: a
#                thread overflows, std's handler aborts
# Without gcc or cargo, the committed fixture core is used instead, and the
# output says so. Scaling: the c-recursion program on a 4 and an 8 MiB main
# stack; `coreview scan` with --jobs 1 and 2 over 55 cores of mixed sizes:
# ten fixtures four times each, and the live cores above three times each
# (the rustc lexer overflow, c-threads, rust-thread, the two depths of
# c-recursion; fixtures stand in for the ones gcc or cargo would build).
#
# Needs go, hyperfine, gdb, eu-stack (elfutils), /usr/bin/time (time), zstd,
# python3 and rustc; gcc and cargo to rebuild the small cores. The kernel
# must write cores as "core" in the crashing process's directory
# (kernel.core_pattern = core). The script checks all of it first.
#
# Usage: bench/compare.sh [--full-eu-stack] [--bigdwarf]
#   --full-eu-stack  also time `eu-stack -n 0` (every frame) on the rustc
#                    core; one run, which takes minutes.
#   --bigdwarf       then run bench/bigdwarf.sh: a Rust debug build with
#                    142 MB of DWARF, every frame's file:line (a minute
#                    of cargo build).
set -euo pipefail

usage() { sed -n '/^# Usage:/,/^[^#]/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
FULL_EU=0
BIGDWARF=0
for arg in "$@"; do
	case $arg in
	--full-eu-stack) FULL_EU=1 ;;
	--bigdwarf) BIGDWARF=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "unknown argument: $arg" >&2; usage >&2; exit 2 ;;
	esac
done

cd "$(dirname "$0")/.."
ROOT=$PWD
# Parsed outputs (/usr/bin/time -v) must not be translated; rustc must use
# its own 8 MiB thread stack and must not print a backtrace; eu-stack must
# not fetch debug info over the network.
export LC_ALL=C
unset RUST_MIN_STACK RUST_BACKTRACE DEBUGINFOD_URLS

log() { echo "$*" >&2; }

# --- Prerequisites -------------------------------------------------------

missing=() packages=() notes=()
need() { # command apt-package [note]
	if ! command -v "$1" >/dev/null 2>&1; then
		missing+=("$1")
		[ -n "$2" ] && packages+=("$2")
		[ -n "${3:-}" ] && notes+=("$3")
	fi
	return 0
}
need go "" "go: $(sed -n 's/^go //p' go.mod) or newer, from https://go.dev/dl (Debian's golang-go is older)"
need hyperfine hyperfine
need gdb gdb
need eu-stack elfutils
need /usr/bin/time time
need zstd zstd
need python3 python3
need rustc "" "rustc: a Rust toolchain, from https://rustup.rs (the README's table was measured with rustc 1.95)"
need readelf binutils
# glibc's debug info, where gdb and coreview look for it: by the build-id
# of the libc the programs here load.
LIBC=$(ldconfig -p 2>/dev/null | awk '/libc\.so\.6 .*x86-64/ {print $NF; exit}')
LIBC_ID=$(readelf -n "${LIBC:-/lib/x86_64-linux-gnu/libc.so.6}" 2>/dev/null | awk '/Build ID/ {print $3; exit}')
if [ -z "$LIBC_ID" ] || [ ! -f "/usr/lib/debug/.build-id/${LIBC_ID:0:2}/${LIBC_ID:2}.debug" ]; then
	missing+=("libc6-dbg")
	packages+=("libc6-dbg")
	notes+=("libc6-dbg: glibc's debug info for ${LIBC:-libc.so.6} (build-id ${LIBC_ID:-unknown}); the targets are measured with it")
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "missing: ${missing[*]}"
	[ ${#packages[@]} -gt 0 ] && log "install with: sudo apt-get install -y ${packages[*]}"
	for n in "${notes[@]}"; do log "  $n"; done
	exit 1
fi
HAVE_GCC=1 HAVE_CARGO=1
command -v gcc >/dev/null 2>&1 || HAVE_GCC=0
command -v cargo >/dev/null 2>&1 || HAVE_CARGO=0
if [ $HAVE_GCC = 0 ] || [ $HAVE_CARGO = 0 ]; then
	log "note: $([ $HAVE_GCC = 0 ] && echo "gcc ")$([ $HAVE_CARGO = 0 ] && echo "cargo ")not found: the committed fixture cores stand in for the cores they would build (sudo apt-get install -y gcc; cargo comes with rustup)"
fi

pattern=$(cat /proc/sys/kernel/core_pattern)
if [ "$pattern" != core ]; then
	log "kernel.core_pattern is '$pattern'; this script needs 'core' (a file named core in the"
	log "crashing process's directory). As root: sysctl -w kernel.core_pattern=core"
	log "(systemd-coredump and apport install a '|…' pipe there; restore it afterwards if you use them)."
	exit 1
fi
if ! (ulimit -c unlimited) 2>/dev/null; then
	log "cannot raise the core size limit: ulimit -c is $(ulimit -c), hard limit $(ulimit -H -c)."
	log "Raise the hard limit (e.g. 'ulimit -H -c unlimited' as root, or core in /etc/security/limits.conf)."
	exit 1
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# crash DIR CMD [ARGS...]: runs CMD in DIR with core dumps enabled and prints
# the core's path (core, or core.PID with kernel.core_uses_pid).
crash() {
	local dir=$1 c
	shift
	mkdir -p "$dir"
	( (cd "$dir" && ulimit -c unlimited && exec "$@") >"$dir/output.txt" 2>&1 ) 2>/dev/null || true
	for c in "$dir/core" "$dir"/core.[0-9]*; do
		if [ -f "$c" ]; then
			echo "$c"
			return 0
		fi
	done
	log "error: $* did not dump core in $dir; its output ends:"
	tail -n 5 "$dir/output.txt" >&2
	exit 1
}

# hf JSON HYPERFINE-ARGS...: runs hyperfine, exporting JSON; on failure
# prints hyperfine's output and stops.
hf() {
	local json=$1
	shift
	if ! hyperfine --style basic --export-json "$json" "$@" >"$json.log" 2>&1; then
		log "error: hyperfine $* failed:"
		cat "$json.log" >&2
		exit 1
	fi
}

# cmdline ARGS...: one shell-quoted command line, for hyperfine -N.
cmdline() { printf '%q ' "$@"; }

median() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
# cpu JSON: mean user+sys CPU seconds of the runs (the machine may be
# shared: CPU time is what other processes' load disturbs least).
cpu() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["user"]+r["system"])' "$1"; }

# peak CMD [ARGS...]: peak RSS of one run, in MiB (the command's exit
# status is the caller's business: it has been checked before).
peak() {
	/usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>&1 || true
	awk '/Maximum resident set size/ {printf "%.0f", $6/1024; found=1} END {exit !found}' "$WORK/time.txt" || {
		log "error: /usr/bin/time -v $* gave no peak RSS:"
		cat "$WORK/time.txt" >&2
		exit 1
	}
}

# calc EXPR: a Python expression, printed.
calc() { python3 -c "print($1)"; }

# ratio A B: A/B with one decimal (two below 1).
ratio() { calc "'%.1f' % ($1/$2) if $1 >= $2 else '%.2f' % ($1/$2)"; }

# --- Tools and cores -----------------------------------------------------

log "building coreview"
CGO_ENABLED=0 go build -o "$WORK/coreview" ./cmd/coreview # as the README installs it
CV=$WORK/coreview
# coreview's cache of inflated debug information lives here, never in the
# user's own: cold runs empty it first.
export XDG_CACHE_HOME=$WORK/xdg
CACHE=$XDG_CACHE_HOME/coreview

RUSTC=$(rustc --print sysroot)/bin/rustc
log "making the rustc lexer overflow core ($("$RUSTC" --version))"
mkdir -p "$WORK/rustc"
python3 -c "print('fn main() { let _ = ' + '('*20000 + '1' + ')'*20000 + '; }')" >"$WORK/rustc/x.rs"
RUSTC_CORE=$(crash "$WORK/rustc" "$RUSTC" --edition 2021 x.rs)

sources=()
if [ $HAVE_GCC = 1 ]; then
	log "making the c-threads core (gcc -O1 -pthread testdata/cores/c-threads/main.c)"
	mkdir -p "$WORK/c-threads"
	gcc -O1 -pthread -o "$WORK/c-threads/prog" testdata/cores/c-threads/main.c
	CT_BIN=$WORK/c-threads/prog CT_SYSROOT=/
	CT_CORE=$(crash "$WORK/c-threads/run" "$CT_BIN")
	sources+=("c-threads: built here with $(gcc --version | head -n 1)")
else
	CT_BIN=$ROOT/testdata/cores/c-threads/prog CT_SYSROOT=$ROOT/testdata/sysroot CT_CORE=$WORK/c-threads.core
	zstd -q -d -f testdata/cores/c-threads/core.zst -o "$CT_CORE"
	sources+=("c-threads: the committed fixture core (gcc not found)")
fi
if [ $HAVE_CARGO = 1 ]; then
	log "making the rust-thread core (cargo build --release testdata/cores/rust-thread-overflow)"
	mkdir -p "$WORK/rust-thread/src"
	cp testdata/cores/rust-thread-overflow/Cargo.toml "$WORK/rust-thread/"
	cp testdata/cores/rust-thread-overflow/src/*.rs "$WORK/rust-thread/src/"
	cargo build --release --offline -q --manifest-path "$WORK/rust-thread/Cargo.toml" --target-dir "$WORK/rust-thread/target"
	RT_BIN=$WORK/rust-thread/target/release/thread_overflow RT_SYSROOT=/
	RT_CORE=$(crash "$WORK/rust-thread/run" "$RT_BIN")
	sources+=("rust-thread: built here with $(cargo --version)")
else
	RT_BIN=$ROOT/testdata/cores/rust-thread-overflow/prog RT_SYSROOT=$ROOT/testdata/sysroot RT_CORE=$WORK/rust-thread.core
	zstd -q -d -f testdata/cores/rust-thread-overflow/core.zst -o "$RT_CORE"
	sources+=("rust-thread: the committed fixture core (cargo not found)")
fi

# --- Side by side --------------------------------------------------------

rows=() checks=()
row() { rows+=("$(printf '| %s | %s | %s | %s | %s | %s | %s | %s |' "$@")"); }
check() { # what measured ok-expression
	if [ "$(calc "$3")" = True ]; then checks+=("met      $1: $2"); else checks+=("NOT MET  $1: $2"); fi
}

# measure NAME CORE BINARY SYSROOT
measure() {
	local name=$1 core=$2 bin=$3 sysroot=$4
	local cv=("$CV" analyze "$core" --binary "$bin" --sysroot "$sysroot" --format json)
	local gdb=(gdb -batch -nx -iex 'set debuginfod enabled off' -ex "set sysroot $sysroot" -ex "file $bin" -ex "core-file $core" -ex 'thread apply all bt')
	local eu=(eu-stack -e "$bin" --core "$core")
	log "measuring $name"

	# One run of each first, to check it works: coreview and gdb exit 0;
	# eu-stack exits 1 when it stops a thread at its 256-frame limit or
	# cannot unwind one further (dwfl_thread_getframes), which is expected,
	# and is run with hyperfine -i for that reason only.
	"${cv[@]}" >"$WORK/$name.json" 2>"$WORK/$name.cv.err" || { log "error: ${cv[*]} failed:"; cat "$WORK/$name.cv.err" >&2; exit 1; }
	"${gdb[@]}" >"$WORK/$name.gdb.out" 2>&1 || { log "error: ${gdb[*]} failed:"; tail -n 20 "$WORK/$name.gdb.out" >&2; exit 1; }
	local st=0
	"${eu[@]}" >"$WORK/$name.eu.out" 2>"$WORK/$name.eu.err" || st=$?
	if [ $st -gt 1 ] || grep -Eqv 'shown max number of frames|dwfl_thread_getframes' "$WORK/$name.eu.err"; then
		log "error: ${eu[*]} failed (exit $st):"
		cat "$WORK/$name.eu.err" >&2
		exit 1
	fi
	local shape
	shape=$(python3 -c '
import json, os, sys
r = json.load(open(sys.argv[1]))
t = r["threads"]
c = [x for x in t if x.get("crashed")] or t
print("%.1f MB core, %d threads, %s frames on the crashed thread" % (
    os.path.getsize(sys.argv[2]) / 1e6, len(t), format(sum(1 for f in c[0]["frames"] if not f.get("inlined")), ",")))' "$WORK/$name.json" "$core")
	sources+=("$name: $shape")

	# Cold: the cache emptied before each run; warm: filled by the run
	# before.
	hf "$WORK/$name.cold.h.json" -N --runs 10 --prepare "rm -rf $CACHE" "$(cmdline "${cv[@]}")"
	hf "$WORK/$name.cv.h.json" -N --warmup 1 --runs 10 "$(cmdline "${cv[@]}")"
	hf "$WORK/$name.gdb.h.json" -N --warmup 1 --runs 5 "$(cmdline "${gdb[@]}")"
	hf "$WORK/$name.eu.h.json" -N -i --warmup 1 --runs 5 "$(cmdline "${eu[@]}")"
	local cold_t cv_t gdb_t eu_t cold_c cv_c gdb_c eu_c cold_m cv_m gdb_m eu_m
	cold_t=$(median "$WORK/$name.cold.h.json") cold_c=$(cpu "$WORK/$name.cold.h.json")
	cv_t=$(median "$WORK/$name.cv.h.json") cv_c=$(cpu "$WORK/$name.cv.h.json")
	gdb_t=$(median "$WORK/$name.gdb.h.json") gdb_c=$(cpu "$WORK/$name.gdb.h.json")
	eu_t=$(median "$WORK/$name.eu.h.json") eu_c=$(cpu "$WORK/$name.eu.h.json")
	rm -rf "$CACHE"
	cold_m=$(peak "${cv[@]}")
	cv_m=$(peak "${cv[@]}")
	gdb_m=$(peak "${gdb[@]}")
	eu_m=$(peak "${eu[@]}")
	local f='%.3f s'
	row "$name" "coreview, cold cache" "$(calc "'$f' % $cold_t")" "$(calc "'$f' % $cold_c")" "$cold_m MiB" 1 1 1
	row "$name" "coreview, warm cache" "$(calc "'$f' % $cv_t")" "$(calc "'$f' % $cv_c")" "$cv_m MiB" "$(ratio "$cv_t" "$cold_t")" "$(ratio "$cv_c" "$cold_c")" "$(ratio "$cv_m" "$cold_m")"
	row "$name" gdb "$(calc "'$f' % $gdb_t")" "$(calc "'$f' % $gdb_c")" "$gdb_m MiB" "$(ratio "$gdb_t" "$cold_t") / $(ratio "$gdb_t" "$cv_t")" "$(ratio "$gdb_c" "$cold_c") / $(ratio "$gdb_c" "$cv_c")" "$(ratio "$gdb_m" "$cold_m")"
	row "$name" "eu-stack (first 256 frames)" "$(calc "'$f' % $eu_t")" "$(calc "'$f' % $eu_c")" "$eu_m MiB" "$(ratio "$eu_t" "$cold_t") / $(ratio "$eu_t" "$cv_t")" "$(ratio "$eu_c" "$cold_c") / $(ratio "$eu_c" "$cv_c")" "$(ratio "$eu_m" "$cold_m")"
	CV_T[$name]=$cv_t GDB_T[$name]=$gdb_t CV_M[$name]=$cv_m GDB_M[$name]=$gdb_m
	COLD_T[$name]=$cold_t COLD_M[$name]=$cold_m CV_C[$name]=$cv_c COLD_C[$name]=$cold_c GDB_C[$name]=$gdb_c
	CORE_OF[$name]=$core
}
declare -A CV_T GDB_T CV_M GDB_M COLD_T COLD_M CV_C COLD_C GDB_C CORE_OF

measure rustc-lexer "$RUSTC_CORE" "$RUSTC" /
measure c-threads "$CT_CORE" "$CT_BIN" "$CT_SYSROOT"
measure rust-thread "$RT_CORE" "$RT_BIN" "$RT_SYSROOT"

cv_t=${CV_T[rustc-lexer]} cv_m=${CV_M[rustc-lexer]} gdb_t=${GDB_T[rustc-lexer]} gdb_m=${GDB_M[rustc-lexer]}
cold_t=${COLD_T[rustc-lexer]} cold_m=${COLD_M[rustc-lexer]} cv_c=${CV_C[rustc-lexer]} cold_c=${COLD_C[rustc-lexer]} gdb_c=${GDB_C[rustc-lexer]}
check "gdb time / coreview time on rustc-lexer, cold cache >= 40 (issue 18)" "$(calc "'%.1fx wall, %.1fx CPU' % ($gdb_t/$cold_t, $gdb_c/$cold_c)")" "$gdb_t/$cold_t >= 40"
check "gdb time / coreview time on rustc-lexer, warm cache >= 60 (issue 18)" "$(calc "'%.1fx wall, %.1fx CPU' % ($gdb_t/$cv_t, $gdb_c/$cv_c)")" "$gdb_t/$cv_t >= 60"
check "coreview peak RSS <= 1/6 of gdb's on rustc-lexer, cold cache (issue 18)" "$cold_m MiB vs $gdb_m MiB ($(calc "'%.1fx' % ($gdb_m/$cold_m)"))" "6*$cold_m <= $gdb_m"

# eu-stack stops at 256 frames by default; -n 0 walks all 10,000+, which
# takes minutes: one run, under /usr/bin/time for its peak RSS.
if [ $FULL_EU = 1 ]; then
	log "measuring eu-stack -n 0 on rustc-lexer (minutes)"
	hf "$WORK/eu-full.h.json" -N --runs 1 --output "$WORK/eu-full.out" \
		"$(cmdline /usr/bin/time -v -o "$WORK/eu-full.time" eu-stack -n 0 -e "$RUSTC" --core "$RUSTC_CORE")"
	eu_full_t=$(median "$WORK/eu-full.h.json")
	eu_full_m=$(awk '/Maximum resident set size/ {printf "%.0f", $6/1024}' "$WORK/eu-full.time")
	eu_full_frames=$(grep -c '^#' "$WORK/eu-full.out" || true)
	row rustc-lexer "eu-stack -n 0 (all frames: $(calc "format($eu_full_frames, ',')") printed)" "$(calc "'%.1f s' % $eu_full_t")" "" "$eu_full_m MiB" \
		"$(calc "'%.0f' % ($eu_full_t/$cold_t)") / $(calc "'%.0f' % ($eu_full_t/$cv_t)")" "" "$(ratio "$eu_full_m" "$cold_m")"
	check "eu-stack -n 0 time / coreview time on rustc-lexer >= 500" "$(calc "'%.0fx' % ($eu_full_t/$cv_t)")" "$eu_full_t/$cv_t >= 500"
else
	checks+=("skipped  eu-stack -n 0 time / coreview time on rustc-lexer >= 500: run with --full-eu-stack (minutes)")
fi

# --- Scaling with depth --------------------------------------------------

# The c-recursion program (1 KiB per frame) on a 4 and an 8 MiB main stack:
# twice the frames.
if [ $HAVE_GCC = 1 ]; then
	REC_BIN=$WORK/recursion
	gcc -O1 -o "$REC_BIN" testdata/cores/c-recursion/main.c
	REC_SYSROOT=/
else
	REC_BIN=$ROOT/testdata/cores/c-recursion/prog
	REC_SYSROOT=/
	sources+=("c-recursion: the committed binary (gcc not found)")
fi
declare -A depth_t depth_f
for mib in 4 8; do
	log "measuring depth scaling: ${mib} MiB stack"
	core=$(crash "$WORK/depth$mib" bash -c 'ulimit -s "$1" && exec "$2"' _ $((mib * 1024)) "$REC_BIN")
	CORE_OF[depth$mib]=$core
	cmd=("$CV" analyze "$core" --binary "$REC_BIN" --sysroot "$REC_SYSROOT" --format json)
	"${cmd[@]}" >"$WORK/depth$mib.json"
	depth_f[$mib]=$(python3 -c 'import json,sys; print(max(sum(1 for f in t["frames"] if not f.get("inlined")) for t in json.load(open(sys.argv[1]))["threads"]))' "$WORK/depth$mib.json")
	hf "$WORK/depth$mib.h.json" -N --warmup 1 --runs 10 "$(cmdline "${cmd[@]}")"
	depth_t[$mib]=$(median "$WORK/depth$mib.h.json")
done
time_x=$(calc "${depth_t[8]}/${depth_t[4]}")
frames_x=$(calc "${depth_f[8]}/${depth_f[4]}")

# --- Scaling with cores --------------------------------------------------

# 55 cores of mixed sizes: ten fixtures, four copies each, each with its
# binary as "bin"; the live cores measured above, three copies each (their
# executables are where the cores name them). All are read against this
# machine's libraries: the fixtures' sysroot holds the same glibc (the
# build-ids are checked, and a mismatch would show as a warning).
fixtures=(c-null-call c-abort c-recursion c-threads rust-thread-overflow stacker-segment c-dlclose rust-panic-abort c-null-deref c-ud2)
for i in 1 2 3 4; do
	for f in "${fixtures[@]}"; do
		mkdir -p "$WORK/scan/$f-$i"
		cp "testdata/cores/$f/core.zst" "$WORK/scan/$f-$i/core.zst"
		cp "testdata/cores/$f/prog" "$WORK/scan/$f-$i/bin"
	done
done
live=(rustc-lexer c-threads rust-thread depth4 depth8)
for i in 1 2 3; do
	for l in "${live[@]}"; do
		mkdir -p "$WORK/scan/live-$l-$i"
		cp "${CORE_OF[$l]}" "$WORK/scan/live-$l-$i/core"
	done
done
ncores=$((4 * ${#fixtures[@]} + 3 * ${#live[@]}))
scan_mib=$(du -sm "$WORK/scan" | cut -f1)
# With the cache warm, as a second scan of the same cores runs.
scan=("$CV" scan "$WORK/scan" -r --format jsonl)
# Exit status 1 is "crashes found", as it must be here; anything else
# (2 usage, 3 a core could not be analyzed) is a failure.
st=0
"${scan[@]}" -j 1 >"$WORK/scan.jsonl" 2>"$WORK/scan.err" || st=$?
if [ $st != 1 ]; then
	log "error: ${scan[*]} -j 1 exited $st, want 1 (crashes found):"
	cat "$WORK/scan.err" >&2
	tail -n 3 "$WORK/scan.jsonl" >&2
	exit 1
fi
# --jobs 1 and --jobs 2 alternate, a run of each in turn (after one
# warm-up run each), eight of each, in the order 1 2 2 1 1 2 …, so that
# neither is always the later: this machine's speed drifts by 10-20%
# over a minute, and two blocks of runs one after the other would put that
# drift into the ratio. Around each run, /proc/stat's CPU line gives the
# CPUs the scan kept busy on average (user+system per second of wall) and
# the time the hypervisor took from this virtual machine (steal), which
# the ratio cannot see.
log "measuring scan --jobs 1 and --jobs 2 over $ncores cores, alternating"
python3 - "$WORK/scan-alt.txt" "${scan[@]}" <<'PY' || exit 1
import os, statistics, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
hz = os.sysconf("SC_CLK_TCK")
def stat():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = v
    return user + nice + system + irq + softirq, sum(v), steal
def run(j):
    b0, a0, s0 = stat()
    t0 = time.perf_counter()
    st = subprocess.run(cmd + ["-j", str(j)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    w = time.perf_counter() - t0
    b1, a1, s1 = stat()
    if st != 1:
        sys.exit("scan -j %d exited %d, want 1 (crashes found)" % (j, st))
    return w, (b1 - b0) / hz, a1 - a0, s1 - s0
runs = {1: [], 2: []}
for j in (1, 2):
    run(j)
for k in range(8):
    for j in ((1, 2), (2, 1))[k % 2]:
        runs[j].append(run(j))
with open(out, "w") as f:
    for j in (1, 2):
        r = runs[j]
        wall = sum(x[0] for x in r)
        print(j, statistics.median(x[0] for x in r), "%.2f" % (sum(x[1] for x in r) / wall),
              "%.0f%%" % (100.0 * sum(x[3] for x in r) / max(1, sum(x[2] for x in r))), file=f)
PY
declare -A scan_t scan_cpus scan_steal
while read -r j t c s; do
	scan_t[$j]=$t scan_cpus[$j]=$c scan_steal[$j]=$s
done <"$WORK/scan-alt.txt"
j1=${scan_t[1]}
j2=${scan_t[2]}

# --- Report --------------------------------------------------------------

echo "date     $(date)"
echo "machine  $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GiB, Linux $(uname -r)"
echo "tools    coreview $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo +changes), $(go version | cut -d' ' -f3), $(gdb --version | head -n 1), $(eu-stack --version | head -n 1), $("$RUSTC" --version | cut -d' ' -f1-2), $(gcc --version 2>/dev/null | head -n 1 || echo "no gcc"), $(hyperfine --version)"
echo "debug    libc6-dbg $(dpkg-query -W -f='${Version}' libc6-dbg 2>/dev/null || echo '(version unknown)'): /usr/lib/debug/.build-id/${LIBC_ID:0:2}/${LIBC_ID:2}.debug"
echo "cores    rustc-lexer: $("$RUSTC" --version | cut -d' ' -f1-2) on 20,000 nested parentheses"
for s in "${sources[@]}"; do echo "         $s"; done
echo
echo "| core | tool | median wall | mean CPU (user+sys) | peak RSS | wall ×coreview (cold / warm) | CPU ×coreview (cold / warm) | memory ×coreview (cold) |"
echo "|---|---|---|---|---|---|---|---|"
for r in "${rows[@]}"; do echo "$r"; done
echo
echo "depth: the c-recursion program on a 4 and an 8 MiB main stack"
for mib in 4 8; do
	printf '  %s MiB: %s frames, %.3f s\n' "$mib" "$(calc "format(${depth_f[$mib]}, ',')")" "${depth_t[$mib]}"
done
printf '  8 MiB / 4 MiB: %.2fx the frames, %.2fx the time\n' "$frames_x" "$time_x"
check "time grows linearly with depth (<= 2.2x the time for 2x the frames, i.e. time ratio <= 1.1 x frames ratio)" \
	"$(calc "'%.2fx the time for %.2fx the frames' % ($time_x, $frames_x)")" "$time_x <= 1.1*$frames_x"
echo
echo "scan: $ncores cores ($scan_mib MiB on disk): ten fixtures x4, five live cores x3"
printf '  --jobs 1: %.2f s   --jobs 2: %.2f s   speed-up %.2fx\n' "$j1" "$j2" "$(calc "$j1/$j2")"
# One job already keeps more than one CPU busy (an analysis's own
# goroutines): two jobs on two CPUs can be at most 2/that faster.
echo "  CPUs busy on average: ${scan_cpus[1]} with --jobs 1, ${scan_cpus[2]} with --jobs 2 (at most $(calc "'%.2f' % (2/${scan_cpus[1]})")x from one job to two); steal ${scan_steal[1]} and ${scan_steal[2]} of the CPU time"
check "scan --jobs 2 >= 1.8x faster than --jobs 1 over $ncores cores" "$(calc "'%.2fx' % ($j1/$j2)")" "$j1/$j2 >= 1.8"
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs; the wall-clock ratios need a quiet machine)"
echo
echo "targets (issues 6 and 18)"
for c in "${checks[@]}"; do echo "  $c"; done
if [ "$BIGDWARF" = 1 ]; then
	echo
	echo "source lines: a Rust debug build with 142 MB of DWARF (bench/bigdwarf.sh)"
	"$ROOT/bench/bigdwarf.sh"
fi
