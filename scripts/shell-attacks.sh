#!/usr/bin/env bash
# shell-attacks.sh runs issue 14's attacks on `imds sh` and prints each one's peak RSS, wall
# time and exit status, beside the configured memory cap (64 MiB, shell.DefaultLimits).
#
#   scripts/shell-attacks.sh                 # builds ./cmd/imds
#   scripts/shell-attacks.sh /path/to/imds   # an imds binary built elsewhere (an older commit)
#
# Each attack runs under `timeout 90s` (SIGTERM, then SIGKILL 10 s later), so a run that does
# not stop shows up as status 124 or 137. Needs GNU time (/usr/bin/time, Debian's "time").
set -euo pipefail

cd "$(dirname "$0")/.."
bin=${1:-}
if [[ -z "$bin" ]]; then
	bin=$(mktemp -d)/imds
	go build -o "$bin" ./cmd/imds
fi

attacks=(
	'x=aaaaaaaaaaaaaaaa; for i in $(seq 16); do x=$x$x; done; y=${x:0:1024}; z=${x//a/$y}'
	'eval ":(){ :|:& };:"'
	'f(){ f|f; }; f'
	'eval "cat <(echo x)"; wait; echo never'
	'for i in 1 2 3 4 5 6 7 8; do eval "openssl genrsa 16384 >/dev/null 2>&1 &"; done'
	'openssl genrsa 16384 >/dev/null'
)

printf '%-10s %-9s %-6s %s\n' "peak RSS" "wall" "status" "attack"
for a in "${attacks[@]}"; do
	out=$(mktemp)
	status=0
	/usr/bin/time -v -o "$out" timeout -k 10s 90s "$bin" sh -c "$a" >/dev/null 2>&1 || status=$?
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%d MiB", $2/1024}' "$out")
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out")
	printf '%-10s %-9s %-6s %s\n' "$rss" "$wall" "$status" "$a"
	rm -f "$out"
done
