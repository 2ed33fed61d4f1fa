# Shared by the fixtures' build.sh scripts (source it, do not run it).
#
# crash_core DIR CMD [ARGS...]
#   Runs CMD in a scratch directory with core dumps enabled (the machine's
#   core_pattern must be "core", the kernel default), expects it to crash,
#   compresses the core to DIR/core.zst, and copies every shared library the
#   core mapped into testdata/sysroot under the same absolute path.
set -euo pipefail

TESTDATA=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SYSROOT=$TESTDATA/sysroot

crash_core() {
	local dir=$1
	shift
	local scratch
	scratch=$(mktemp -d)
	if [ "$(cat /proc/sys/kernel/core_pattern)" != "core" ]; then
		echo "core_pattern is '$(cat /proc/sys/kernel/core_pattern)', want 'core'" >&2
		return 1
	fi
	(
		cd "$scratch"
		ulimit -c unlimited
		if [ -n "${STACK_LIMIT:-}" ]; then ulimit -s "$STACK_LIMIT"; fi
		"$@" >stdout.txt 2>stderr.txt
	) || true
	if [ ! -f "$scratch/core" ]; then
		echo "no core was written" >&2
		cat "$scratch/stderr.txt" >&2
		return 1
	fi
	cp "$scratch/stderr.txt" "$dir/stderr.txt"
	zstd -q -19 -f "$scratch/core" -o "$dir/core.zst"
	copy_libs "$scratch/core"
	rm -rf "$scratch"
}

# copy_libs CORE: copies the shared objects named in CORE's NT_FILE note.
copy_libs() {
	local lib
	for lib in $(eu-readelf -n "$1" | awk '$4 ~ /^\// && $4 ~ /\.so/ {print $4}' | sort -u); do
		case $lib in
		/tmp/* | /work/* | */testdata/*) continue ;;
		esac
		mkdir -p "$SYSROOT$(dirname "$lib")"
		[ -f "$SYSROOT$lib" ] || cp "$lib" "$SYSROOT$lib"
	done
	# gdb looks libraries up by the loader's names (/lib, /lib64), which
	# merged-/usr Debian links to /usr/lib.
	[ -e "$SYSROOT/lib" ] || ln -s usr/lib "$SYSROOT/lib"
	if [ ! -e "$SYSROOT/lib64" ]; then
		mkdir -p "$SYSROOT/lib64"
		ln -s ../usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$SYSROOT/lib64/ld-linux-x86-64.so.2"
	fi
}

# Needs elfutils (eu-readelf) and zstd.

# versions: the toolchain versions a fixture README records.
versions() {
	echo "- kernel: $(uname -r)"
	echo "- gcc: $(gcc --version | head -1)"
	echo "- glibc: $(ldd --version | head -1)"
	command -v rustc >/dev/null && echo "- rustc: $(rustc --version)"
	true
}
