#!/bin/sh
# bench.sh runs the core's benchmarks (package imds) and prints each beside its floors, with
# the ratios and the budget: identity tokens over loopback HTTP at ≥ 0.9× the rate of a minimal
# net/http handler that only signs the same token, measured in the same run.
#
# The test binary is built once and run COUNT times in a row, each round running every
# benchmark once, so that an emulator benchmark and the floor beside it are measured seconds
# apart; benchratio takes the median of the per-round ratios. The budget itself is checked on
# the paired benchmark (IdentityToken/paired), which alternates the emulator and its floor in
# 64-request phases within one run, so that a neighbour's load on a shared machine falls on
# both alike.
#
# Environment: COUNT (rounds, default 5), BENCHTIME (default 1s), BENCH (the -bench regexp,
# default .), OUT (where the raw output is kept; default a temporary file).
# Arguments go to benchratio, for example -budget 'IAMExchange:paired>=0.9'.
# Exit status: benchratio's (1 when a budget is not met).
set -eu
cd "$(dirname "$0")/.."
count=${COUNT:-5}
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
go run ./scripts/benchratio "$@" "$out"
