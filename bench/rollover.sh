#!/bin/bash
# P1 (issue 15): how close a rollover comes to its physical floor, with a
# secondary that follows NOTIFY and with one that lags (no NOTIFY: it
# learns of a change at its next refresh). Real BIND9 primary and
# secondary, unbound, Postfix, in a network namespace (tests/world).
#
# Per round, a forced roll (`roll`, then `run --wait`) with TTL 10 s and
# margin 0: the new chain goes live, the old key's record leaves the
# RRset, and the run ends when that RRset has been served by every
# address for longer than the TTL. An independent observer asks all four
# authoritative addresses (ns1, ns2; v4 and v6) every 50 ms, each query
# on its own, and notes when each first served the final RRset. Figures
# (min / median / max over ROUNDS):
#   noticed  daneroll's "all N authoritative addresses serve" - the
#            observer's "last address serves" (goal: within 0.5 s)
#   aged     daneroll's end of the wait - (last address serves + TTL).
#            The floor is 1 s (a resolver keeps cache expiry in whole
#            seconds) plus the rounding of that deadline up to the second
#            (docs/architecture.md): between 1 and 2 s.
# The observer starts one dig per query, so on a loaded machine its
# "first served" can be late by a dig's run time: a negative "noticed"
# (seen down to -0.5 s) is the observer's lateness, not daneroll's
# foresight. Compare binaries within one run (BIN), not across runs.
# Needs root and ip netns. BIN=path/to/daneroll (default ./daneroll);
# ROUNDS (default 3); MODES (default "normal lagging"). The logs are kept
# in /tmp/daneroll-bench-rollover-MODE.{log,changes}.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
	echo "rollover: skipped (needs root and ip netns)"
	exit 0
fi
ROUNDS=${ROUNDS:-3}
TTL=10
export DANEROLL_BIN=${BIN:-$top/daneroll}
[ -x "$DANEROLL_BIN" ] || make -C "$top" daneroll >/dev/null || exit 1

# The observer: one line "EPOCH ADDR HASH" each time an address's answer
# changes, EPOCH when the query that saw it was sent. It runs until
# $1/stop exists.
observe() { # dir addr...
	local dir=$1 a
	shift
	for a in "$@"; do
		(last=
		while [ ! -e "$dir/stop" ]; do
			t=$EPOCHREALTIME
			h=$(dig +norec +short +time=1 +tries=1 @"$a" \
			    _25._tcp.mx1.example. TLSA 2>/dev/null | tr 'A-F' 'a-f' |
			    tr -d ' ' | sort | md5sum | cut -c1-12)
			if [ "$h" != "$last" ]; then
				last=$h
				echo "$t $a $h" >>"$dir/changes"
			fi
			sleep 0.05
		done) &
	done
	wait
}

# Lines of standard input, each with the time it arrived.
stamp() { local l; while IFS= read -r l; do echo "$EPOCHREALTIME $l"; done; }

# The hash a TLSA RRset has for the observer, from "U S M HEX" lines.
set_hash() { tr -d ' ' | sort | md5sum | cut -c1-12; }

stats() { # label, values on stdin
	sort -n | awk -v l="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { printf "  %-8s (none)\n", l; exit }
		printf "  %-8s min %.2f s  median %.2f s  max %.2f s  (%d)\n",
		    l, v[1], v[int((NR + 1) / 2)], v[NR], NR }'
}

rc=0
for mode in ${MODES:-normal lagging}; do
	W=/tmp/daneroll-bench-roll-$mode
	NS=drbroll
	WORLD_UP_ARGS=
	[ "$mode" = lagging ] && WORLD_UP_ARGS=--lagging-secondary
	export WORLD_UP_ARGS
	rm -rf "$W"
	DR_TTL=$TTL
	. "$top/tests/integration/worldrun"
	if ! world_up; then
		echo "rollover ($mode): the world did not come up"; tail -n 20 "$W.up.log"
		world_down; rc=1; continue
	fi
	sed -i 's/^margin = .*/margin = 0s/' "$CONF"
	O=$W/observer
	mkdir -p "$O"
	ip netns exec "$NS" bash -c "$(declare -f observe); observe $O $NS1_V4 $NS1_V6 $NS2_V4 $NS2_V6" &
	obs=$!
	LOG=$W/bench.log
	: >"$LOG"
	DRWAIT_MAX=300 drwait 2>&1 | stamp >>"$LOG"		# bootstrap
	for r in $(seq 1 "$ROUNDS"); do
		echo "$EPOCHREALTIME ## round $r" >>"$LOG"
		dr roll mx1.example >/dev/null 2>&1
		DRWAIT_MAX=300 drwait 2>&1 | stamp >>"$LOG"
		echo "$EPOCHREALTIME ## want $r $(tlsa_at "$NS1_V4" | set_hash)" >>"$LOG"
	done
	touch "$O/stop"
	wait "$obs"
	prober_stop
	echo "# bench: rollover, $mode secondary, TTL $TTL s, margin 0, $ROUNDS rounds ($(basename "$DANEROLL_BIN"))"
	cp "$LOG" "/tmp/daneroll-bench-rollover-$mode.log"
	cp "$O/changes" "/tmp/daneroll-bench-rollover-$mode.changes"
	# Per round: the observer's last address to serve the final RRset
	# first, daneroll's notice of it (the round's last "serve the RRset"
	# line) and the end of its wait (the round's last "-> standby").
	: >"$W/noticed"
	: >"$W/aged"
	for r in $(seq 1 "$ROUNDS"); do
		want=$(awk -v r="$r" '$2 == "##" && $3 == "want" && $4 == r { print $5 }' "$LOG")
		served=$(awk -v h="$want" '$3 == h && !(($2) in s) { s[$2] = $1 }
		    END { m = 0; n = 0; for (a in s) { n++; if (s[a] > m) m = s[a] } if (n == 4) printf "%.3f", m }' "$O/changes")
		noticed=$(awk -v r="$r" '$2 == "##" && $3 == "round" { on = ($4 == r); next }
		    on && /authoritative addresses serve the RRset/ { t = $1 } END { print t }' "$LOG")
		aged=$(awk -v r="$r" '$2 == "##" && $3 == "round" { on = ($4 == r); next }
		    $2 == "##" { on = 0 } on && /-> standby/ { t = $1 } END { print t }' "$LOG")
		if [ -z "$served" ] || [ -z "$noticed" ] || [ -z "$aged" ]; then
			echo "  round $r: incomplete (served '$served', noticed '$noticed', aged '$aged')"
			rc=1
			continue
		fi
		echo "$noticed $served" | awk '{ printf "%.3f\n", $1 - $2 }' >>"$W/noticed"
		echo "$aged $served $TTL" | awk '{ printf "%.3f\n", $1 - $2 - $3 }' >>"$W/aged"
	done
	stats noticed <"$W/noticed" 2>/dev/null
	stats aged <"$W/aged" 2>/dev/null
	echo "  prober: ${PROBES:-?} probes, ${PROBE_FAILS:-?} failures"
	[ "${PROBE_FAILS:-1}" = 0 ] || rc=1
	world_down
done
exit $rc
