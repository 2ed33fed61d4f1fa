#!/usr/bin/env bash
# check.sh: the static checks of the README's test command, run before the
# tests. Fails on any file gofmt would change, on go vet's findings and on
# staticcheck's (honnef.co/go/tools, pinned below; .ci/run installs it).
set -euo pipefail
cd "$(dirname "$0")"
version=v0.8.2 # staticcheck 2026.2.2, the first release line that knows Go 1.26
# The pinned staticcheck: the one on PATH or in GOPATH/bin if it is that
# version, else installed there from the Go module proxy (a fresh machine
# with Go can run this script).
sc=$(command -v staticcheck || echo "$(go env GOPATH)/bin/staticcheck")
if [ ! -x "$sc" ] || ! "$sc" -version | grep -qF "(${version#v})"; then
	echo "check.sh: installing staticcheck $version" >&2
	go install "honnef.co/go/tools/cmd/staticcheck@$version"
	sc="$(go env GOBIN)"
	sc="${sc:-$(go env GOPATH)/bin}/staticcheck"
fi
if ! "$sc" -version | grep -qF "(${version#v})"; then
	echo "check.sh: $sc is $("$sc" -version), want $version" >&2
	exit 1
fi
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "check.sh: gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
"$sc" ./...
