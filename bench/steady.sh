#!/bin/sh
# Benchmark: `daneroll run` over N hosts in steady state (nothing due).
# Target (issue 2): N=1000 under 50 ms wall time and 16 MiB peak memory.
# The peer measured in the same run: the sqlite3 CLI reading every slot and
# key of the same state database, the least any tool must do.
#
#   sh bench/steady.sh [N] [RUNS]
set -eu
n=${1:-1000}
runs=${2:-15}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
d=$(mktemp -d /tmp/daneroll-bench.XXXXXX)
trap 'rm -rf "$d"' EXIT

now=$("$top/$build/bench/steady_setup" "$d" "$n")
# The state is dated at a fixed time: the test build (make bench builds
# it) runs at it with DANEROLL_NOW, which daneroll ignores. The seams
# cost nothing measurable: three getenv calls at start.
export DANEROLL_NOW="$now"
db="$d/state/daneroll.db"
state=$(sqlite3 "$db" "SELECT group_concat(DISTINCT state) FROM slots;")
echo "hosts: $n   slot states: $state"

# Median wall time of RUNS runs (nanosecond clock), and the peak RSS.
measure() {
	i=0
	: > "$d/times"
	while [ $i -lt "$runs" ]; do
		t0=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$d/one" "$@" >/dev/null 2>"$d/err" || {
			cat "$d/err" >&2; exit 1; }
		t1=$(date +%s%N)
		echo "$(( (t1 - t0) / 1000 )) $(cat "$d/one")" >> "$d/times"
		i=$((i + 1))
	done
	sort -n "$d/times" | awk -v n="$runs" 'NR == int((n + 1) / 2) {
		printf "%.1f ms median wall, ", $1 / 1000 }
		{ if ($2 > m) m = $2 } END { printf "%.1f MiB peak RSS\n", m / 1024 }'
}

printf 'daneroll run:   '
measure "$top/$build/daneroll-test" -q -c "$d/bench.conf" run
printf 'sqlite3 peer:   '
measure sqlite3 "$db" "SELECT h.name, s.alg, s.state, k.role, k.spki_sha256
	FROM hosts h JOIN slots s ON s.host_id = h.id JOIN keys k ON k.slot_id = s.id;"
