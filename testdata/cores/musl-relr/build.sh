#!/usr/bin/env bash
# Builds prog and makes core.zst: a static-PIE musl binary with DT_RELR that
# crashes before main. Needs Debian's musl-tools (musl 1.2.3). musl-gcc's
# specs have no static-pie mode, so the link is spelled out with rcrt1.o
# (the self-relocating start file).
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
L=/usr/lib/x86_64-linux-musl
musl-gcc -O1 -fPIE -c main.c -o main.o
gcc -static-pie -nostdlib -nostartfiles -Wl,-z,pack-relative-relocs -Wl,--build-id -o prog \
	$L/rcrt1.o $L/crti.o "$(gcc -print-file-name=crtbeginS.o)" main.o -L$L -lc \
	"$(gcc -print-libgcc-file-name)" "$(gcc -print-file-name=crtendS.o)" $L/crtn.o
rm -f main.o
crash_core "$PWD" "$PWD/prog"
