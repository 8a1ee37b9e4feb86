#!/bin/bash
# Fault test: a lagging secondary. The world's primary sends no NOTIFY
# (up.sh --lagging-secondary), so the secondary learns of each change only
# by its refresh, about 25-30 s later. daneroll must wait for it, name it,
# and deploy nothing meanwhile; the prober (every address and algorithm
# of mx1) must see zero failures. Then a rollover, under the same lag.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
W=${LAG_DIR:-/tmp/daneroll-fault-lag}
NS=${LAG_NS:-drfaultlag}
export WORLD_UP_ARGS=--lagging-secondary
. "$(dirname "$0")/worldrun"
needs_root "lagging secondary" "needs root and ip netns" ip
world_start "the world comes up (lagging secondary)"

lag_round() { # name, then what to run before run --wait
	local what=$1 t0 t1 rc waits
	shift
	echo "## $what" >>"$LOG"
	"$@" >>"$LOG" 2>&1
	t0=$(date +%s)
	drwait >>"$LOG" 2>&1
	rc=$?
	t1=$(date +%s)
	[ $rc -eq 0 ] && both_standby && ok "$what: run --wait completes, both slots standby ($((t1 - t0)) s)" ||
		not_ok "$what: run --wait completes" "exit $rc; $(tail -n 10 "$LOG")"
	waits=$(awk -v w="## $what" '$0 == w { on = 1; next } /^## / { on = 0 } on' "$LOG" | grep -c "waiting for 192.0.2.2 (ns2.example.)")
	[ "$waits" -ge "${min_waits:-2}" ] && ok "$what: waited for the lagging secondary, by name ($waits polls name 192.0.2.2)" ||
		not_ok "$what: waited for the lagging secondary, by name" "$waits polls"
	[ "$(tlsa_at "$NS2_V4")" = "$(tlsa_wanted)" ] && [ "$(tlsa_at "$NS1_V4")" = "$(tlsa_wanted)" ] &&
		ok "$what: primary and secondary serve exactly what is wanted" || not_ok "$what: primary and secondary serve what is wanted"
}
lag_round "bootstrap" true
# The rollover publishes at a time of its own in the secondary's refresh
# cycle (after an issue, a deploy and a live check): the secondary may be
# a poll away from refreshing. One poll naming it shows daneroll waited.
min_waits=1 lag_round "rollover" dr roll mx1.example
# No deploy before the secondary had the record: every "installed" line
# comes after the last "waiting for 192.0.2.2" of the round that
# published the deployed key (the bootstrap), which the ordering of the
# log shows.
first_install=$(grep -n "and its chain; reloaded" "$LOG" | head -n 1 | cut -d: -f1)
last_wait_boot=$(awk '/^## rollover/ { exit } /waiting for 192.0.2.2/ { n = NR } END { print n + 0 }' "$LOG")
[ -n "$first_install" ] && [ "$first_install" -gt "$last_wait_boot" ] &&
	ok "nothing was deployed while the secondary lagged" || not_ok "nothing was deployed while the secondary lagged" "install at line $first_install, last wait at $last_wait_boot"
db_ok && ok "PRAGMA integrity_check ok" || not_ok "PRAGMA integrity_check ok"

prober_report 40 ""
summary
