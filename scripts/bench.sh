#!/bin/sh
# bench.sh runs the core's benchmarks (package imds), prints benchstat's comparison of each
# emulator benchmark with its floors, and checks the budget: identity tokens over loopback
# HTTP at ≥ 0.9× the rate of a minimal net/http handler that only signs the same token,
# measured in the same run.
#
# The test binary is built once and run COUNT times in a row, each round running every
# benchmark once, so that an emulator benchmark and the floors beside it are measured seconds
# apart. benchstat (a tool of go.mod) prints, for each call and path (/via), the emulator and
# its floors (/impl) side by side, with confidence intervals; its "vs base" column is the
# floor's time against the emulator's. The budget is checked by scripts/benchgate on the
# paired benchmark (IdentityToken/via=http/impl=paired), which alternates the emulator and its
# floor in 64-request phases within one run, so that a neighbour's load on a shared machine
# falls on both alike.
#
# Environment: COUNT (rounds, default 6, the fewest for which benchstat gives a confidence
# interval), BENCHTIME (default 1s), BENCH (the -bench regexp, default .), OUT (where the raw
# output is kept; default a temporary file).
# Arguments go to benchgate, for example -budget 'IAMExchange/via=http/impl=paired>=0.9'.
# Exit status: benchgate's (1 when a budget is not met).
set -eu
cd "$(dirname "$0")/.."
count=${COUNT:-6}
benchtime=${BENCHTIME:-1s}
bench=${BENCH:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${OUT:-$tmp/bench.txt}
go test -c -o "$tmp/imds.test" ./imds/
echo "imds.test -test.run '^\$' -test.bench '$bench' -test.benchtime $benchtime, $count rounds (raw output: $out)" >&2
: >"$out"
i=0
while [ "$i" -lt "$count" ]; do
	i=$((i + 1))
	(cd imds && "$tmp/imds.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" -test.benchmem) | tee -a "$out" >&2
done
go tool benchstat -row .name,/via -col /impl "$out"
go run ./scripts/benchgate "$@" "$out"
