#!/bin/sh
# Benchmark: `daneroll status --json` (and the text `status`) over N idle
# hosts. Target (issue 15): 10,000 hosts under 1 s wall time. Each line
# gives the minimum, median and maximum wall time of RUNS runs, the
# median CPU time (user + system: less swayed by other load) and the peak
# RSS. The peer measured in the same run: the sqlite3 CLI writing
# the same tables as JSON (sqlite3 -json: every host, slot, key and
# event), what reading the state and writing JSON costs at the least.
#
#   sh bench/status.sh [N ...]      (default: 1000 10000; RUNS=7)
set -eu
runs=${RUNS:-7}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
d=$(mktemp -d /tmp/daneroll-bench.XXXXXX)
trap 'rm -rf "$d"' EXIT

# Wall times of RUNS runs (nanosecond clock): "min / median / max ms,
# median CPU, peak RSS"; the median wall time, in microseconds, is left
# in $median.
measure() {
	i=0
	: > "$d/times"
	while [ $i -lt "$runs" ]; do
		t0=$(date +%s%N)
		/usr/bin/time -f '%M %U %S' -o "$d/one" "$@" >/dev/null \
		    2>"$d/err" || {
			cat "$d/err" >&2; exit 1; }
		t1=$(date +%s%N)
		echo "$(( (t1 - t0) / 1000 )) $(cat "$d/one")" >> "$d/times"
		i=$((i + 1))
	done
	median=$(sort -n "$d/times" | awk -v n="$runs" \
	    'NR == int((n + 1) / 2) { print $1 }')
	sort -n "$d/times" | awk -v n="$runs" -v cpu="$d/cpu" '
		NR == 1 { lo = $1 } NR == int((n + 1) / 2) { mid = $1 }
		{ hi = $1; if ($2 > m) m = $2; print ($3 + $4) * 1000 > cpu }
		END { close(cpu); c = "sort -n " cpu; i = 0
		    while ((c | getline v) > 0) if (++i == int((n + 1) / 2)) u = v
		    printf "%7.1f / %7.1f / %7.1f ms, CPU %6.1f ms, %5.1f MiB peak RSS\n",
		    lo / 1000, mid / 1000, hi / 1000, u, m / 1024 }'
}

for n in ${*:-1000 10000}; do
	rm -rf "$d/s"
	mkdir "$d/s"
	now=$("$top/$build/bench/steady_setup" "$d/s" "$n")
	# The state is dated at a fixed time: the test build (make bench
	# builds it) runs at it with DANEROLL_NOW, which daneroll ignores.
	export DANEROLL_NOW="$now"
	db="$d/s/state/daneroll.db"
	echo "hosts: $n   events: $(sqlite3 "$db" "SELECT count(*) FROM events;")   min / median / max of $runs runs"
	printf 'daneroll status --json: '
	measure "$top/$build/daneroll-test" -q -c "$d/s/bench.conf" status --json
	json=$median
	printf 'daneroll status:        '
	measure "$top/$build/daneroll-test" -q -c "$d/s/bench.conf" status
	text=$median
	printf 'sqlite3 -json peer:     '
	measure sqlite3 -json "$db" "SELECT * FROM hosts; SELECT * FROM slots;
	    SELECT * FROM keys; SELECT * FROM events;"
	awk -v j="$json" -v t="$text" -v p="$median" 'BEGIN {
		printf "median ratio to the peer: status --json %.2f, status %.2f\n",
		    j / p, t / p }'
done
