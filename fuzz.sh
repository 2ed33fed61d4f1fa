#!/usr/bin/env bash
# fuzz.sh [DURATION]: runs every Go fuzz target in the repository for
# DURATION (default 20s) each, one after another, and stops at the first
# failure (go test writes the failing input under the package's
# testdata/fuzz/, to be committed as a regression case). CI runs it after
# `go test ./...` with 20s; run it with 10m for a real campaign.
set -euo pipefail
cd "$(dirname "$0")"
duration=${1:-20s}
# Every "func FuzzX(" in a _test.go file, as "package-dir FuzzX".
targets=$(grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
	grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed "s#^func #$(dirname "$f") #"
done)
[ -n "$targets" ] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }
while read -r pkg target; do
	echo "fuzz.sh: $pkg $target for $duration"
	go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$duration" -fuzzminimizetime 2s
done <<<"$targets"
