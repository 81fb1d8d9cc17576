#!/usr/bin/env bash
# fuzz.sh runs every Go fuzz target in the repository, one after another, for FUZZTIME each.
#
#   scripts/fuzz.sh                      # every target, 30s each
#   FUZZTIME=5m scripts/fuzz.sh ./imds/  # only the targets of these packages
#
# Targets are found with `go test -list '^Fuzz'` in every package whose tests declare one.
# A target that fails leaves its input in the package's testdata/fuzz/<Target>/, where plain
# `go test` replays it from then on; the script goes on with the others and exits 1 at the end.
#
# Environment: FUZZTIME (default 30s), FUZZPARALLEL (fuzzing workers, default GOMAXPROCS), GO.
set -euo pipefail

cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
parallel=()
if [[ -n "${FUZZPARALLEL:-}" ]]; then
	parallel=(-parallel "$FUZZPARALLEL")
fi

if [[ $# -gt 0 ]]; then
	pkgs=$("$GO" list "$@")
else
	# Only packages whose test files declare a fuzz target, so that listing compiles few.
	pkgs=$("$GO" list -e -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
		if grep -qs '^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' "$dir"/*_test.go; then
			echo "$pkg"
		fi
	done)
fi

failed=()
ran=0
for pkg in $pkgs; do
	targets=$("$GO" test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	for target in $targets; do
		echo "== $pkg $target ($FUZZTIME)"
		ran=$((ran + 1))
		if ! "$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "${parallel[@]}" "$pkg"; then
			failed+=("$pkg $target")
		fi
	done
done

if [[ $ran -eq 0 ]]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "fuzz.sh: ${#failed[@]} of $ran targets failed:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz.sh: all $ran targets passed ($FUZZTIME each)"
