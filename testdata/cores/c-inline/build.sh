#!/usr/bin/env bash
# Builds prog and libweights.so with DWARF and makes core.zst: a qsort
# comparator in the library dereferences NULL inside two inlined functions.
# split/ holds the same program stripped, with its DWARF in a separate file
# found by .gnu_debuglink (and by build-id), for the separate-debug tests.
set -euo pipefail
cd "$(dirname "$0")"
source ../lib.sh
gcc -O2 -g -gdwarf-4 -gz=zlib -fPIC -shared -o libweights.so weights.c
gcc -O2 -g -gdwarf-5 -o prog main.c -L. -lweights -Wl,-rpath,'$ORIGIN'
crash_core "$PWD" "$PWD/prog"
rm -rf split && mkdir split
objcopy --only-keep-debug prog split/prog.debug
objcopy --strip-debug --add-gnu-debuglink=split/prog.debug prog split/prog
