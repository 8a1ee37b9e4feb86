#!/bin/sh
# Runs every unit test program, then every integration test script, and
# prints the totals as the last line: "N passed, N failed, N skipped".
#
#   sh tests/run.sh [--unit-only] BUILD_DIR
#
# Each program or script prints its own "N passed, N failed[, N skipped]"
# as its last such line; a program that crashes or prints no summary counts
# as one failure, so a broken test can never pass silently.
unit_only=0
if [ "$1" = "--unit-only" ]; then unit_only=1; shift; fi
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
export DANEROLL_TOP="$top" DANEROLL_BIN="$top/daneroll"

passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

tally() { # name status
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - $1 (exit $2, no summary line)"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 (exit $2 with no failed case)"
		failed=$((failed + 1))
	fi
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	echo "# unit: $name"
	"$t" >"$out" 2>&1
	rc=$?
	sed 's/^/  /' "$out" | grep -vE '^  [0-9]+ passed, [0-9]+ failed'
	tally "$name" "$rc"
done

if [ "$unit_only" -eq 0 ]; then
	for t in "$top"/tests/integration/*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		echo "# integration: $name"
		sh "$t" >"$out" 2>&1
		rc=$?
		sed 's/^/  /' "$out" | grep -vE '^  [0-9]+ passed, [0-9]+ failed'
		tally "$name" "$rc"
	done
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
