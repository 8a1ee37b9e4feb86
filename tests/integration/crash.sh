#!/bin/bash
# Crash tests: the real daneroll in the namespace world (BIND9 primary and
# secondary, unbound, Postfix mx1 with RSA and ECDSA chains, the local-ca
# ACME hook) is killed with SIGKILL at every named side-effect point of a
# rollover (DANEROLL_TEST_CRASH_AT), and at random times, then run again
# until stable. The prober handshakes with every address and algorithm of
# mx1 once a second all along. After each crash: zero prober failures, no
# key file lost or changed, PRAGMA integrity_check ok, the primary (and
# the secondary) serve exactly current + next of each slot, both slots in
# standby. One world, rolled once per point.
# tests/run.sh runs every script with sh: this one needs bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
W=${CRASH_DIR:-/tmp/daneroll-crash}
NS=${CRASH_NS:-drcrash}
. "$(dirname "$0")/worldrun"
needs_root "crash tests" "needs root and ip netns" ip
# The test build (tests/tools/test_main.c): DANEROLL_TEST_CRASH_AT, which
# daneroll ignores, kills it at a named point.
world_start --test-build "the world comes up"
runlog() { echo "## $*" >>"$LOG"; }

# Runs until stable: `run --wait` exits 0 and both slots are in standby.
settle() {
	local rc i
	for i in 1 2 3; do
		drwait >>"$LOG" 2>&1
		rc=$?
		[ $rc -eq 0 ] && both_standby && return 0
		echo "## settle: run --wait exited $rc" >>"$LOG"
		sleep 2
	done
	return 1
}

# Every check after a crash and a settle. $1 names the case, $2 the key
# snapshot taken before the crash.
after_crash() {
	local what=$1 snap=$2 lost f0 f1 want p1 p2
	if settle; then ok "$what: run --wait converges, both slots standby"
	else not_ok "$what: run --wait converges, both slots standby" "$(tail -n 15 "$LOG")"; fi
	# A retired key deleted once its record aged out is not lost: the
	# database must say so (issue 13: retired keys leave the disk).
	lost=$(keys_kept "$snap" | while read -r sum path; do
		[ "$(sqlite3 "$STATE/daneroll.db" "SELECT count(*) FROM keys WHERE
			path = '$path' AND role IN ('retired', 'discarded') AND
			deleted_at IS NOT NULL")" = 1 ] || echo "$sum $path"
	done)
	[ -z "$lost" ] && ok "$what: no key file lost or changed, but retired ones deleted ($(wc -l <"$snap") before, $(key_sums | wc -l) now)" ||
		not_ok "$what: no key file lost or changed, but retired ones deleted" "$lost"
	db_ok && ok "$what: PRAGMA integrity_check ok" ||
		not_ok "$what: PRAGMA integrity_check ok" "$(sqlite3 "$STATE/daneroll.db" 'PRAGMA integrity_check' 2>&1 | head -3)"
	want=$(tlsa_wanted)
	p1=$(tlsa_at "$NS1_V4")
	p2=$(tlsa_at "$NS2_V4")
	if [ "$(echo "$want" | grep -c .)" -eq 4 ] && [ "$p1" = "$want" ] && [ "$p2" = "$want" ] &&
		[ "$(echo "$p1" | sort -u | grep -c .)" -eq 4 ]; then
		ok "$what: primary and secondary serve exactly current+next of each slot (4 records)"
	else
		not_ok "$what: primary and secondary serve exactly current+next of each slot" \
			"$(printf 'wanted:\n%s\nprimary:\n%s\nsecondary:\n%s' "$want" "$p1" "$p2")"
	fi
	# current+next of each slot, as status says, are what is wanted.
	f0=$(dr status --json | json_keep status | grep -oE '"(current|next)_spki": *"[0-9a-f]{64}"' | grep -oE '[0-9a-f]{64}' | sort)
	f1=$(echo "$want" | awk '{ print $4 }' | sort)
	[ "$f0" = "$f1" ] && ok "$what: the RRset is each slot's current and next key, no orphan" ||
		not_ok "$what: the RRset is each slot's current and next key, no orphan" "$(printf 'status:\n%s\nrrset:\n%s' "$f0" "$f1")"
	# On disk: each slot's current and next key, and nothing retired.
	f2=$(find "$KEYS" -type f -name '*.key' | while read -r k; do spki_of_key "$k"; done | sort)
	[ -n "$f2" ] && [ "$f2" = "$f1" ] && ok "$what: the key directory holds each slot's current and next key, no retired one" ||
		not_ok "$what: the key directory holds each slot's current and next key, no retired one" \
			"$(printf 'keys:\n%s\nrrset:\n%s\n' "$f2" "$f1"; ls -l "$KEYS"/*)"
	f0=$(probe_fails_now)
	[ "${f0:-0}" -eq 0 ] && ok "$what: prober: zero failures so far" ||
		not_ok "$what: prober: zero failures so far" "$(grep ' FAIL ' "$W/probe/log" | head -5)"
}

# 1. Take mx1 under management (adopt, generate, publish, age).
runlog bootstrap
if drwait >>"$LOG" 2>&1 && both_standby; then ok "bootstrap: mx1 under management"
else not_ok "bootstrap: mx1 under management" "$(tail -n 20 "$LOG")"; fi

# crash_roll WHAT: a forced roll, logged as WHAT, the keys' digests kept
# in $snap first (for after_crash).
crash_roll() {
	snap=$W.keys.before
	key_sums >"$snap"
	runlog "$1"
	dr roll mx1.example >>"$LOG" 2>&1
}
# killed_at POINT: the run told to die at POINT dies there, by SIGKILL.
killed_at() {
	local rc
	DANEROLL_TEST_CRASH_AT=$1 drwait >>"$LOG" 2>&1
	rc=$?
	[ $rc -eq 137 ] && ok "$1: the run dies by SIGKILL there (exit 137)" ||
		not_ok "$1: the run dies by SIGKILL there (exit 137)" "exit $rc; $(tail -n 5 "$LOG")"
}

# 2. One rollover per named point, killed there.
crash_at() { # point
	local p=$1
	crash_roll "crash at $p"
	killed_at "$p"
	grep -q "killed at $p" "$LOG" || not_ok "$p: the log names the point"
	after_crash "$p" "$snap"
}

POINTS="issue:before-hook issue:after-hook deploy:before deploy:after promote:after
generate:before-write generate:after-write publish:before-send publish:after-send"
covered=""
for p in $POINTS; do
	crash_at "$p"
	covered="$covered $p"
done

# 2b. Killed in a reload, the files new and the MTA never reloaded (a
#     timer's kill or a power cut takes the reload with daneroll): the
#     next run must reload (deploy again), not verify a stale server and
#     roll back. The world's reload installs every algorithm's files, so
#     only the last reload of a rollover shows it: both are killed.
for n in 0 1; do
	what="killed in reload $((n + 1))"
	echo $n >"$D/reload.kill"
	crash_roll "$what"
	drwait >>"$LOG" 2>&1
	rc=$?
	[ $rc -eq 137 ] && [ ! -e "$D/reload.kill" ] && ok "$what: the run dies by SIGKILL there (exit 137)" ||
		not_ok "$what: the run dies by SIGKILL there (exit 137)" "exit $rc; $(tail -n 5 "$LOG")"
	rm -f "$D/reload.kill"
	after_crash "$what" "$snap"
	rb=$(sed -n "/^## $what\$/,\$p" "$LOG" | grep -e '-> rollback' | head -3)
	[ -z "$rb" ] && ok "$what: no rollback" || not_ok "$what: no rollback" "$rb"
done
covered="$covered reload"

# 3. The rollback points: the reload leaves the MTA serving the old chain
#    (a reload that did not take), so the live check of the new chain
#    fails and the engine rolls back; killed on either side of the
#    rollback. It stops safe (failed, exit 69); both records stay. Then
#    the reload is fixed, `roll --resume`, and it completes.
for p in rollback:before rollback:after; do
	touch "$D/reload.noop"
	crash_roll "crash at $p"
	killed_at "$p"
	drwait >>"$LOG" 2>&1
	rc=$?
	[ $rc -eq 69 ] && ok "$p: the next run completes the rollback and stops safe (exit 69)" ||
		not_ok "$p: the next run completes the rollback and stops safe (exit 69)" "exit $rc; $(tail -n 8 "$LOG")"
	n=$(tlsa_at "$NS1_V4" | grep -c .)
	[ "$n" -eq 4 ] && ok "$p: both records of each slot stay published" || not_ok "$p: both records of each slot stay published" "$n records"
	rm -f "$D/reload.noop"
	dr roll --resume mx1.example >>"$LOG" 2>&1
	after_crash "$p" "$snap"
	covered="$covered $p"
done

# 4. Kills at random times during a rollover.
for i in 1 2 3 4; do
	ms=$(( 200 + RANDOM % 4800 ))
	t=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	crash_roll "random kill after $t s"
	# In a subshell that outlives it, so that no "Killed" line leaks out.
	( timeout -s KILL "$t" ip netns exec "$NS" "$DR_BIN" -c "$CONF" \
		run --wait >>"$LOG" 2>&1; echo $? >"$W.rc" ) 2>/dev/null
	rc=$(cat "$W.rc")
	echo "# random kill $i after $t s: exit $rc"
	after_crash "random kill after ${t}s" "$snap"
done

echo "# crash points covered:$covered"
prober_report 100 " over the whole test"
rm -f "$W.keys.before" "$W.rc"
summary
