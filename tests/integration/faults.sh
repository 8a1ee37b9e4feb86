#!/bin/bash
# Fault tests: the real daneroll in the namespace world (BIND9 primary and
# secondary, unbound, pebble + certbot, Postfix mx1 with RSA and ECDSA
# chains), the prober handshaking with every address and algorithm of mx1
# once a second for the whole test. Faults, one after another in one world:
#   1. the secondary stopped: daneroll waits, names 192.0.2.2, resumes;
#   2. the ACME server unreachable: issuance fails and backs off, the
#      current certificate stays served, then it succeeds;
#   3. a reload that fails: the deploy is undone, the old chain served;
#   4. a deploy the server does not take (the reload leaves the old chain
#      served): the live check fails, rollback, both records stay;
#   5. a bad TSIG key: a clear error, no state change, no DNS change;
#   6. two runs at once: one waits for the lock, gives up with 75;
#   7. the state directory on a full filesystem (a tiny tmpfs in a
#      private mount namespace): a clear error, nothing lost;
#   8. the clock jumping a day back, then far ahead, then right again:
#      nothing unsafe happens; back at the right time, check warns
#      (clock-skew), the run re-dates the records "published" in the far
#      future to now, and the rollover completes after the TTL.
# PowerDNS API 5xx is not covered here.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
W=${FAULT_DIR:-/tmp/daneroll-fault}
NS=${FAULT_NS:-drfault}
export WORLD_ONLY=dns,acme,mail DR_ACME=certbot
. "$(dirname "$0")/worldrun"
needs_root "fault tests" "needs root and ip netns" ip
# The test build (tests/tools/test_main.c): faults 5 and 8 use
# DANEROLL_TEST_CRASH_AT and DANEROLL_NOW, which daneroll ignores.
world_start --test-build "the world comes up (pebble + certbot)"
mark() { echo "## $*" >>"$LOG"; }
# The log from the last mark on.
since_mark() { awk '/^## /{ buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$LOG"; }
# fault_roll WHAT FAULT: marked WHAT, the fault file $D/FAULT in place, a
# forced roll; cur_r and cur_e: the current keys' SPKI digests before.
fault_roll() {
	mark "$1"
	cur_r=$(slot_spki rsa2048 current) cur_e=$(slot_spki ecdsa-p256 current)
	touch "$D/$2"
	dr roll mx1.example >>"$LOG" 2>&1
}

settle() { # until run --wait exits 0 with both slots in standby
	for _ in 1 2 3; do
		drwait >>"$LOG" 2>&1 && both_standby && return 0
		sleep 2
	done
	return 1
}
dns_exact() { # the primary and secondary serve exactly what is wanted, 4 records
	local want p1 p2
	want=$(tlsa_wanted); p1=$(tlsa_at "$NS1_V4"); p2=$(tlsa_at "$NS2_V4")
	[ "$(echo "$want" | grep -c .)" -eq 4 ] && [ "$p1" = "$want" ] && [ "$p2" = "$want" ]
}
stable_checks() { # name
	if settle; then ok "$1: converges, both slots standby"; else not_ok "$1: converges, both slots standby" "$(since_mark | tail -n 15)"; fi
	dns_exact && ok "$1: primary and secondary serve exactly current+next (4 records)" ||
		not_ok "$1: primary and secondary serve exactly current+next" "$(tlsa_at "$NS1_V4")"
	db_ok && ok "$1: PRAGMA integrity_check ok" || not_ok "$1: PRAGMA integrity_check ok"
	local f
	f=$(probe_fails_now)
	[ "${f:-0}" -eq 0 ] && ok "$1: prober: zero failures so far" ||
		not_ok "$1: prober: zero failures so far" "$(grep ' FAIL ' "$W/probe/log" | head -5)"
}
served_is() { # alg spki: every address of mx1 presents that key
	local a
	for a in "$MX1_V4" "$MX1_V6"; do
		[ "$(served_spki "$a" "$1")" = "$2" ] || return 1
	done
}

mark bootstrap
drwait >>"$LOG" 2>&1 && both_standby && ok "bootstrap: mx1 under management (certbot + pebble)" ||
	not_ok "bootstrap: mx1 under management" "$(since_mark | tail -n 15)"

# ---- 1. the secondary stopped ---------------------------------------
mark "secondary stopped"
sec() { WORLD_DIR=$W WORLD_NS=$NS bash "$top/tests/world/secondary.sh" "$@" >>"$LOG" 2>&1; }
sec stop && ok "secondary: stopped" || not_ok "secondary: stopped"
dr roll mx1.example >>"$LOG" 2>&1
drwait >>"$LOG" 2>&1 &
bg=$!
waited=0
while [ $waited -lt 60 ] && ! since_mark | grep -q "waiting for 192.0.2.2 (ns2.example.)"; do sleep 1; waited=$((waited + 1)); done
sleep 6
if kill -0 $bg 2>/dev/null; then ok "secondary: run --wait is still waiting"; else not_ok "secondary: run --wait is still waiting" "$(since_mark | tail)"; fi
since_mark | grep -q "waiting for 192.0.2.2 (ns2.example.)" && ok "secondary: the log names 192.0.2.2 (ns2.example.)" ||
	not_ok "secondary: the log names 192.0.2.2" "$(since_mark | tail)"
st_r=$(slot_state rsa2048) st_e=$(slot_state ecdsa-p256)
[ "$st_r" = publishing ] && [ "$st_e" = publishing ] && ok "secondary: both slots held in publishing (not ageing)" ||
	not_ok "secondary: both slots held in publishing" "rsa2048=$st_r ecdsa-p256=$st_e"
sleep 4
sec start && ok "secondary: started again" || not_ok "secondary: started again"
t0=$(date +%s)
wait $bg
rc=$?
[ $rc -eq 0 ] && ok "secondary: run --wait resumes and completes (exit 0, $(( $(date +%s) - t0 )) s after the start)" ||
	not_ok "secondary: run --wait resumes and completes" "exit $rc; $(since_mark | tail)"
stable_checks secondary

# ---- 2. the ACME server unreachable ---------------------------------
fault_roll "acme down" acme.down
dr run >>"$LOG" 2>&1
rc=$?
[ $rc -eq 75 ] && ok "acme down: issue fails, run exits 75 (try again later)" || not_ok "acme down: run exits 75" "exit $rc; $(since_mark | tail)"
since_mark | grep -q "issue failed 1 time; retrying in" && ok "acme down: the failure is logged with its back-off" ||
	not_ok "acme down: logged with its back-off" "$(since_mark | tail)"
sleep 3
dr run >>"$LOG" 2>&1
since_mark | grep -q "issue failed 2 times" && ok "acme down: retried after the back-off, failed again" ||
	not_ok "acme down: retried after the back-off" "$(since_mark | tail)"
served_is rsa2048 "$cur_r" && served_is ecdsa-p256 "$cur_e" && ok "acme down: the current certificates stay served" ||
	not_ok "acme down: the current certificates stay served"
rm -f "$D/acme.down"
stable_checks "acme back"
since_mark | grep -q "certificate issued for the next key" && ok "acme back: certificates issued" || not_ok "acme back: certificates issued"
served_is rsa2048 "$(slot_spki rsa2048 current)" && [ "$(slot_spki rsa2048 current)" != "$cur_r" ] &&
	ok "acme back: the rollover completed (new key served)" || not_ok "acme back: the rollover completed"

# ---- 3. a reload that fails -----------------------------------------
fault_roll "reload fails" reload.fail
dr run >>"$LOG" 2>&1
rc=$?
[ $rc -eq 75 ] || [ $rc -eq 69 ] && ok "reload fails: run exits $rc" || not_ok "reload fails: run exits 75 or 69" "exit $rc"
since_mark | grep -q "the previous set is restored" && ok "reload fails: the previous set is restored (logged)" ||
	not_ok "reload fails: the previous set is restored" "$(since_mark | tail)"
cmp -s "$D/live/rsa2048.pem" "$W/mx1/rsa2048.pem" && cmp -s "$D/live/ecdsa-p256.pem" "$W/mx1/ecdsa-p256.pem" &&
	ok "reload fails: daneroll's files are the old set again" || not_ok "reload fails: daneroll's files are the old set again"
served_is rsa2048 "$cur_r" && served_is ecdsa-p256 "$cur_e" && ok "reload fails: the old chains are served" ||
	not_ok "reload fails: the old chains are served"
[ "$(tlsa_at "$NS1_V4" | grep -c .)" -eq 4 ] && ok "reload fails: both records of each slot stay published" ||
	not_ok "reload fails: both records stay published" "$(tlsa_at "$NS1_V4")"
rm -f "$D/reload.fail"
[ "$(slot_state rsa2048)" = failed ] || [ "$(slot_state ecdsa-p256)" = failed ] &&
	dr roll --resume mx1.example >>"$LOG" 2>&1
stable_checks "reload fixed"

# ---- 4. a deploy the server does not take ---------------------------
fault_roll "stale server" reload.noop
drwait >>"$LOG" 2>&1
rc=$?
[ $rc -eq 69 ] && ok "stale server: run --wait stops safe (exit 69)" || not_ok "stale server: run --wait stops safe (exit 69)" "exit $rc; $(since_mark | tail)"
[ "$(since_mark | grep -c 'rolled back after a failed live check')" -ge 1 ] && ok "stale server: the live check failed, rolled back" ||
	not_ok "stale server: rolled back" "$(since_mark | tail)"
[ "$(slot_state rsa2048)" = failed ] && [ "$(slot_state ecdsa-p256)" = failed ] && ok "stale server: both slots stopped (failed)" ||
	not_ok "stale server: both slots failed" "$(slot_state rsa2048) $(slot_state ecdsa-p256)"
[ "$(tlsa_at "$NS1_V4" | grep -c .)" -eq 4 ] && tlsa_at "$NS1_V4" | grep -q "$cur_r" && tlsa_at "$NS1_V4" | grep -q "$cur_e" &&
	ok "stale server: the old records stay (4 records)" || not_ok "stale server: the old records stay" "$(tlsa_at "$NS1_V4")"
served_is rsa2048 "$cur_r" && served_is ecdsa-p256 "$cur_e" && ok "stale server: the old chains are served" ||
	not_ok "stale server: the old chains are served"
# Monitoring sees the stopped rollover, though every handshake passes.
out=$(ip netns exec "$NS" "$DR_BIN" -c "$CONF" check mx1.example 2>&1); rc=$?
[ $rc -eq 2 ] && [ "$(echo "$out" | grep -c 'CRITICAL.*rollover-alert.*stopped; fix the cause')" -eq 2 ] &&
	ok "stale server: check is CRITICAL with a rollover-alert per slot" ||
	not_ok "stale server: check is CRITICAL with a rollover-alert per slot" "exit $rc; $out"
rm -f "$D/reload.noop"
dr roll --resume mx1.example >>"$LOG" 2>&1
stable_checks "stale server fixed"

# ---- 5. a bad TSIG key ----------------------------------------------
# Killed just before the publish that retires the old records, so that
# the next step is that publish and nothing else.
mark "bad tsig"
dr roll mx1.example >>"$LOG" 2>&1
DANEROLL_TEST_CRASH_AT=publish:before-send drwait >>"$LOG" 2>&1
rc=$?
[ $rc -eq 137 ] && ok "bad tsig: stopped just before a publish (killed at publish:before-send)" || not_ok "bad tsig: killed before a publish" "exit $rc"
umask 077
sed "s|^\(\s*secret\s*\"\).*\(\";\)|\1$(head -c 32 /dev/urandom | base64)\2|" "$TSIG_KEY_FILE" >"$D/bad-tsig.key"
umask 022
grep -q secret "$D/bad-tsig.key" && ! cmp -s "$D/bad-tsig.key" "$TSIG_KEY_FILE" || not_ok "bad tsig: made a wrong key"
sed "s|^tsig_key_file = .*|tsig_key_file = $D/bad-tsig.key|" "$CONF" >"$D/bad.conf"
before_dns=$(tlsa_at "$NS1_V4")
before_st=$(dr status --json | json_keep status | grep -E '"(state|current_spki|next_spki)"')
before_rr=$(sqlite3 "$STATE/daneroll.db" 'SELECT count(*) FROM rrsets' 2>/dev/null)
ip netns exec "$NS" "$DR_BIN" -c "$D/bad.conf" run >>"$LOG" 2>&1
rc=$?
[ $rc -eq 75 ] || [ $rc -eq 69 ] && ok "bad tsig: run fails (exit $rc)" || not_ok "bad tsig: run fails" "exit $rc"
err=$(since_mark | grep -v '^## ' | grep -iE "tsig|badsig|badkey|notauth" | head -n 2)
[ -n "$err" ] && ok "bad tsig: a clear error: $(echo "$err" | head -n 1 | cut -c1-150)" || not_ok "bad tsig: a clear error" "$(since_mark | tail)"
[ "$(tlsa_at "$NS1_V4")" = "$before_dns" ] && ok "bad tsig: DNS unchanged" || not_ok "bad tsig: DNS unchanged"
[ "$(dr status --json | json_keep status | grep -E '"(state|current_spki|next_spki)"')" = "$before_st" ] && ok "bad tsig: slot states and keys unchanged" ||
	not_ok "bad tsig: slot states and keys unchanged"
after_rr=$(sqlite3 "$STATE/daneroll.db" 'SELECT count(*) FROM rrsets' 2>/dev/null)
[ "$before_rr" = "$after_rr" ] && ok "bad tsig: no new RRset version recorded ($after_rr)" ||
	not_ok "bad tsig: no new RRset version recorded" "before $before_rr, after $after_rr"
stable_checks "good tsig again"

# ---- 6. two runs at once --------------------------------------------
mark "two runs"
sed "s|^lock_timeout = .*|lock_timeout = 2s|" "$CONF" >"$D/short-lock.conf"
touch "$D/acme.slow"
dr roll mx1.example >>"$LOG" 2>&1
dr run >>"$LOG" 2>&1 &
bg=$!
sleep 2
t0=$(date +%s%N)
ip netns exec "$NS" "$DR_BIN" -c "$D/short-lock.conf" run >"$W.second.log" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
cat "$W.second.log" >>"$LOG"
[ $rc -eq 75 ] && ok "two runs: the second waits ${ms} ms for the lock, exits 75" || not_ok "two runs: the second exits 75" "exit $rc; $(cat "$W.second.log")"
[ $ms -ge 1500 ] && ok "two runs: it waited (lock_timeout 2s)" || not_ok "two runs: it waited" "$ms ms"
grep -qiE "lock|another" "$W.second.log" && ok "two runs: it says why: $(grep -iE 'lock|another' "$W.second.log" | head -n 1 | cut -c1-120)" ||
	not_ok "two runs: it says why" "$(cat "$W.second.log")"
wait $bg
rc=$?
echo "# two runs: the first exited $rc"
rm -f "$D/acme.slow" "$W.second.log"
stable_checks "two runs"

# ---- 7. the state directory on a full filesystem ---------------------
# A private mount namespace: a 4 MB tmpfs over the state directory,
# holding a copy of the state. First filled to the last byte (nothing can
# even open the database), then with 48 KB left (it opens, and a run gets
# as far as the space lasts). Then space again: nothing lost, and it
# converges from there.
mark "full filesystem"
cat >"$W.full.sh" <<EOF
set -u
cp -a "$STATE" "$W.state-copy"
mount -t tmpfs -o size=4m tmpfs "$STATE" || exit 90
cp -a "$W.state-copy/." "$STATE/"
rm -rf "$W.state-copy"
find "$KEYS" -type f -name '*.key' -exec sha256sum {} + | sort -k2 >"$W.full.keys"
sqlite3 "$STATE/daneroll.db" 'SELECT count(*) FROM events' >"$W.full.events"
dd if=/dev/zero of="$STATE/filler" bs=64k >/dev/null 2>&1
echo "## full: \$(df -k "$STATE" | tail -n 1)"
ip netns exec "$NS" "$DR_BIN" -c "$CONF" roll mx1.example >"$W.full.out" 2>&1
echo "roll=\$?" >"$W.full.rc"
ip netns exec "$NS" "$DR_BIN" -c "$CONF" run >>"$W.full.out" 2>&1
echo "run=\$?" >>"$W.full.rc"
truncate -s -48K "$STATE/filler"
echo "## 48 KB left: \$(df -k "$STATE" | tail -n 1)"
ip netns exec "$NS" "$DR_BIN" -c "$CONF" roll mx1.example >"$W.full.out1" 2>&1
echo "roll1=\$?" >>"$W.full.rc"
timeout 150 ip netns exec "$NS" "$DR_BIN" -c "$CONF" run --wait >>"$W.full.out1" 2>&1
echo "run1=\$?" >>"$W.full.rc"
find "$KEYS" -type f -name '*.key' -exec sha256sum {} + | sort -k2 >"$W.full.keys2"
# Space again: the state as the failures left it.
rm -f "$STATE/filler"
sqlite3 "$STATE/daneroll.db" 'PRAGMA integrity_check' >"$W.full.integrity" 2>&1
sqlite3 "$STATE/daneroll.db" 'SELECT count(*) FROM events' >"$W.full.events2" 2>&1
ip netns exec "$NS" "$DR_BIN" -c "$CONF" roll mx1.example >>"$W.full.out2" 2>&1
timeout 150 ip netns exec "$NS" "$DR_BIN" -c "$CONF" run --wait >>"$W.full.out2" 2>&1
echo "after=\$?" >>"$W.full.rc"
# Back to the real state directory: it carries on from the tmpfs copy.
cp -a "$STATE/." "$W.state-copy/"
umount "$STATE"
rm -rf "$STATE"/*
cp -a "$W.state-copy/." "$STATE/"
rm -rf "$W.state-copy"
EOF
unshare -m --propagation private bash "$W.full.sh" >>"$LOG" 2>&1
cat "$W.full.out" "$W.full.out1" "$W.full.out2" >>"$LOG" 2>/dev/null
echo "# full filesystem: exit codes $(tr '\n' ' ' <"$W.full.rc" 2>/dev/null)"
val() { sed -n "s/^$1=//p" "$W.full.rc"; }
rr=$(val roll) ru=$(val run) r1=$(val run1) ra=$(val after)
[ "${rr:-0}" -ne 0 ] && [ "${ru:-0}" -ne 0 ] && ok "full fs: roll and run fail on a full disk (exit $rr, $ru)" ||
	not_ok "full fs: roll and run fail on a full disk" "roll $rr run $ru; $(cat "$W.full.out")"
msg=$(grep -iE "no space|disk is full" "$W.full.out" | head -n 1)
[ -n "$msg" ] && ok "full fs: a clear error: $(echo "$msg" | cut -c1-160)" || not_ok "full fs: a clear error" "$(cat "$W.full.out")"
echo "# 48 KB left: run --wait exit ${r1:-?}: $(grep -iE 'no space|disk is full|error' "$W.full.out1" | head -n 2 | cut -c1-200 | tr '\n' ' ')"
[ "${r1:-0}" -ne 0 ] && grep -qiE "no space|disk is full" "$W.full.out1" && ok "full fs: with 48 KB left, the run stops with a clear error (exit $r1)" ||
	not_ok "full fs: with 48 KB left, the run stops with a clear error" "exit $r1; $(tail -n 5 "$W.full.out1")"
[ "$(cat "$W.full.integrity" 2>/dev/null)" = ok ] && ok "full fs: PRAGMA integrity_check ok as the failures left it" || not_ok "full fs: integrity_check ok" "$(cat "$W.full.integrity")"
lost=$(grep -vxF -f "$W.full.keys2" "$W.full.keys")
[ -s "$W.full.keys" ] && [ -z "$lost" ] && ok "full fs: no key file lost or changed ($(wc -l <"$W.full.keys") keys before, $(wc -l <"$W.full.keys2") after)" || not_ok "full fs: no key file lost" "$lost"
e1=$(cat "$W.full.events") e2=$(cat "$W.full.events2")
[ "$e2" -ge "$e1" ] 2>/dev/null && ok "full fs: the event log kept its $e1 rows ($e2 now)" || not_ok "full fs: the event log kept its rows" "$e1 -> $e2"
[ "${ra:-1}" -eq 0 ] && ok "full fs: with space again, run --wait completes the rollover" || not_ok "full fs: with space again, run --wait completes" "$(tail "$W.full.out2" 2>/dev/null)"
rm -f "$W.full.sh" "$W.full.out" "$W.full.out1" "$W.full.out2" "$W.full.rc" "$W.full.integrity" "$W.full.keys" "$W.full.keys2" "$W.full.events" "$W.full.events2"
stable_checks "full fs, after"

# ---- 8. the clock jumps ---------------------------------------------
mark "clock jumps"
cur_r=$(slot_spki rsa2048 current) cur_e=$(slot_spki ecdsa-p256 current)
now=$(date +%s)
dr roll mx1.example >>"$LOG" 2>&1
# A day back: the next keys' records were published "in the future";
# nothing may be deployed on their account.
DANEROLL_NOW=$((now - 86400)) dr run >>"$LOG" 2>&1
rc=$?
echo "# clock a day back: run exit $rc"
! since_mark | grep -q "and its chain; reloaded" && ok "clock back: nothing deployed" || not_ok "clock back: nothing deployed" "$(since_mark | tail)"
served_is rsa2048 "$cur_r" && served_is ecdsa-p256 "$cur_e" && ok "clock back: the current chains stay served" || not_ok "clock back: the current chains stay served"
mark "clock ahead"
DANEROLL_NOW=$((now + 400 * 86400)) timeout 120 ip netns exec "$NS" "$DR_BIN" -c "$CONF" run >>"$LOG" 2>&1
rc=$?
echo "# clock 400 days ahead: run exit $rc"
if since_mark | grep -q "and its chain; reloaded"; then
	# Whatever it did, the prober and the checks below are the judges.
	echo "# clock ahead: a chain was deployed"
fi
f=$(probe_fails_now)
[ "${f:-0}" -eq 0 ] && ok "clock jumps: prober: zero failures" || not_ok "clock jumps: prober: zero failures" "$(grep ' FAIL ' "$W/probe/log" | head -5)"
[ "$(tlsa_at "$NS1_V4" | grep -c .)" -ge 4 ] && ok "clock jumps: no record removed early ($(tlsa_at "$NS1_V4" | grep -c .) records)" ||
	not_ok "clock jumps: no record removed early" "$(tlsa_at "$NS1_V4")"
# Back to the right time: records published "400 days from now". check
# says so; the next run re-dates them to now, and ageing counts again
# from then: the rollover completes after the TTL, not in 400 days.
mark "clock right"
out=$(ip netns exec "$NS" "$DR_BIN" -c "$CONF" check mx1.example 2>&1); rc=$?
[ $rc -ge 1 ] && echo "$out" | grep -q 'WARNING.*clock-skew.*the clock went back' &&
	ok "clock right again: check warns (clock-skew)" ||
	not_ok "clock right again: check warns (clock-skew)" "exit $rc; $out"
timeout 60 ip netns exec "$NS" "$DR_BIN" -c "$CONF" run >>"$LOG" 2>&1
rc=$?
echo "# clock right again: run exit $rc; slots: rsa2048 $(slot_state rsa2048), ecdsa-p256 $(slot_state ecdsa-p256)"
since_mark | grep -q "the clock went back.*re-dated to now" && ok "clock right again: the run re-dates, and says why: $(since_mark | grep -m1 'the clock went back' | cut -c1-160)" ||
	not_ok "clock right again: the run re-dates, and says why" "$(since_mark | tail -n 5)"
! since_mark | grep -qE "and its chain; reloaded" && ok "clock right again: nothing deployed before the TTL has passed again" ||
	not_ok "clock right again: nothing deployed before the TTL has passed again" "$(since_mark | tail)"
out=$(ip netns exec "$NS" "$DR_BIN" -c "$CONF" check mx1.example 2>&1)
! echo "$out" | grep -q 'clock-skew' && ok "clock right again: check no longer warns" ||
	not_ok "clock right again: check no longer warns" "$out"
stable_checks "clock right again"

prober_report 100 " over the whole test"
summary
