#!/bin/bash
# End to end: a full "current + issuer" cycle, including a change of the
# issuing CA, driving the real daneroll binary against the namespace world
# (BIND9 primary + secondary, unbound, pebble + certbot, Postfix mx2, whose
# MX target mail2.example is a CNAME to mx2.example).
#
# 1. mx2 (RSA-2048) taken under management with pebble's root pinned as
#    "2 1 1": 3 1 1 of the live key + 2 1 1 published and aged.
# 2. roll + run --wait: a new leaf key, its chain from pebble, deployed
#    under the aged 2 1 1 (no 3 1 1 pre-published for it); the chain sent
#    live holds the pinned root (the deployer appends it).
# 3. The CA changes: pebble restarts with a new root and intermediate,
#    and the configuration still pins only the first root.
#    a. issuer_follow = no (strict pinning): roll + run --wait issues a
#       chain from the new CA, deploys nothing, and exits 69 at once with
#       one critical alert (it used to repeat an error until killed).
#    b. issuer_follow on (the default), nothing added by hand: run --wait
#       publishes the 2 1 1 of the new intermediate (the CA the chain sends
#       after the leaf), which must have been served by every
#       authoritative address for longer than the TTL before a chain from
#       the new CA goes live. Checked from an independent watcher (dig at
#       every address, the live leaf by openssl s_client), from daneroll's
#       log order and from status --json.
# 4. issuer_pin = root, and pebble restarts with a third root. pebble
#    never sends its root, so it cannot be followed: the chain is held,
#    one critical alert names the root, run --wait exits 69, nothing is
#    published or deployed. The root added with issuer_cert: its 2 1 1 is
#    published and aged, then the chain goes live with the root appended.
# Two independent probers handshake with every address once a second
# throughout: a warm one, whose validating resolver caches the TLSA
# RRsets (a chain deployed before its record aged out of caches fails),
# and a cold one, whose resolver's cache is emptied before each probe
# (a chain the authoritative servers' current RRset does not vouch for
# fails). Each must count enough probes during each phase of 3 and 4,
# and no failure.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -u
# shellcheck source=tests/integration/e2elib
. "$(dirname "$0")/e2elib"
e2e_start issuer "end-to-end current+issuer cycle" certbot pebble
e2e_certbot_settings
cp "$PEBBLE_CA_FILE" "$D/ca1.pem"
ca1=$(spki_of "$D/ca1.pem")
owner=_25._tcp.mx2.example
servers="$NS1_V4 $NS1_V6 $NS2_V4 $NS2_V6"

write_conf() { # issuer_cert files...
	{
		e2e_global
		cat <<CONF
[host mx2.example]
scheme = current+issuer
algorithms = rsa2048
combined_file = $W/mx2/%a.pem
publisher = bind
acme_hook = $CERTBOT_HOOK
reload = /usr/sbin/postfix -c $MX2_CONFIG_DIR reload
CONF
		for f in "$@"; do echo "issuer_cert = $f"; done
		[ -n "${FOLLOW:-}" ] && echo "issuer_follow = $FOLLOW"
		[ -n "${PIN:-}" ] && echo "issuer_pin = $PIN"
	} >"$D/daneroll.conf"
	chmod 600 "$D/daneroll.conf"
}
write_conf "$D/ca1.pem"

targets="mx2.example:$MX2_V4:rsa2048 mx2.example:$MX2_V6:rsa2048
	mail2.example:$MX2_V4:rsa2048 mail2.example:$MX2_V6:rsa2048"
# shellcheck disable=SC2086 # targets: words without blanks
e2e_prober $targets
# shellcheck disable=SC2086
e2e_prober --cold $targets
# Each prober must log probes in every phase: at least 10 (about two
# rounds of 6) while a chain is deployed, 5 where the run stops. A phase
# took 10 to 25 s on 2 loaded cores, a cold round 2 to 7 s (its lookups
# from an emptied cache, one name at a time).
sleep 2

check "config check" dr config check

# ---------------------------------------------------------------- 1
spki0=$(live_spki "$MX2_V4" mx2.example)
if DR_TIMEOUT=150 dr_ts run --wait >/dev/null; then ok "taken under management (run --wait exit 0)"; else not_ok "taken under management (exit $?)" "$(tail -n 15 "$LOGDIR/daneroll.log")"; fi
rrset=$(tlsa_at "$NS1_V4" "$owner")
echo "$rrset" | grep -q "^3 1 1 $spki0\$" && echo "$rrset" | grep -q "^2 1 1 $ca1\$" &&
	[ "$(echo "$rrset" | wc -l)" -eq 2 ] &&
	ok "3 1 1 of the live key + 2 1 1 of pebble's root published" ||
	not_ok "3 1 1 of the live key + 2 1 1 of pebble's root published" "$rrset"

# ---------------------------------------------------------------- 2
dr roll mx2.example >/dev/null
if DR_TIMEOUT=150 dr_ts run --wait >/dev/null; then ok "rollover under the pinned CA (exit 0)"; else not_ok "rollover under the pinned CA (exit $?)" "$(tail -n 15 "$LOGDIR/daneroll.log")"; fi
live_chain "$MX2_V4" mx2.example >"$LOGDIR/chain1.pem"
spki1=$(spki_of "$LOGDIR/chain1.pem")
[ -n "$spki1" ] && [ "$spki1" != "$spki0" ] && ok "a new leaf key is live" ||
	not_ok "a new leaf key is live" "before $spki0 after $spki1"
# Every certificate of the live chain, by SPKI: the pinned root among them.
chain_spkis() { awk '/BEGIN/ { n++ } { print > (f "." n) }' f="$1.split" "$1"; for c in "$1".split.*; do spki_of "$c"; done; rm -f "$1".split.*; }
chain_spkis "$LOGDIR/chain1.pem" | grep -q "^$ca1\$" &&
	ok "the live chain sends the pinned root" || not_ok "the live chain sends the pinned root"
for a in "$MX2_V6"; do
	[ "$(live_spki "$a" mx2.example)" = "$spki1" ] && ok "the new key is live on $a too" || not_ok "the new key is live on $a too"
done
rrset=$(tlsa_at "$NS2_V6" "$owner")
echo "$rrset" | grep -q "^3 1 1 $spki1\$" && echo "$rrset" | grep -q "^2 1 1 $ca1\$" &&
	! echo "$rrset" | grep -q "$spki0" &&
	ok "after the rollover: 3 1 1 of the new key + the 2 1 1; the old key's record retired" ||
	not_ok "after the rollover: 3 1 1 new + 2 1 1, old retired" "$rrset"
grep -q "deploying" "$LOGDIR/daneroll.log" && ok "the log shows the deploy" || not_ok "the log shows the deploy"

# pebble_restart N: the CA changes: a new pebble instance makes a new
# root and intermediate, fetched into $D/caN.pem and $D/intN.pem.
pebble_restart() {
	kill "$(cat "$W/pids/pebble.pid")"
	for _ in $(seq 50); do kill -0 "$(cat "$W/pids/pebble.pid")" 2>/dev/null || break; sleep 0.1; done
	# Not through in_ns: $! must be pebble itself (ip netns exec execs
	# it), not a subshell that a later restart would kill instead.
	ip netns exec "$NS" env PEBBLE_VA_NOSLEEP=1 PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_WFE_NONCEREJECT=0 \
		/usr/bin/pebble -config "$W/pebble/pebble-config.json" -dnsserver "$RESOLVER_V4:53" \
		</dev/null >>"$W/log/pebble.log" 2>&1 &
	echo $! >"$W/pids/pebble.pid"
	for _ in $(seq 50); do
		in_ns curl -sf --cacert "$PEBBLE_TLS_CA_FILE" "$PEBBLE_MGMT_URL/roots/0" -o "$D/ca$1.pem" 2>/dev/null &&
			grep -q 'BEGIN CERTIFICATE' "$D/ca$1.pem" && break
		sleep 0.2
	done
	in_ns curl -sf --cacert "$PEBBLE_TLS_CA_FILE" "$PEBBLE_MGMT_URL/intermediates/0" -o "$D/int$1.pem"
	# The new pebble knows no account: certbot registers again.
	rm -rf "$D/certbot/config/accounts"
}

# held_roll WHAT SPKI: roll mx2; run --wait must hold the new chain and
# exit 69 at once (one critical alert, not a retry loop until killed),
# SPKI still live.
held_roll() {
	local t rc took
	dr roll mx2.example >/dev/null
	t=$(date +%s)
	DR_TIMEOUT=150 dr_ts run --wait >/dev/null; rc=$?
	took=$(( $(date +%s) - t ))
	if [ "$rc" -eq 69 ] && [ "$took" -lt 120 ]; then
		ok "$1: run --wait exits 69 (${took} s), not a loop"
	else not_ok "$1: run --wait exits 69" "rc=$rc took=${took}s $(tail -n 8 "$LOGDIR/daneroll.log")"; fi
	[ "$(live_spki "$MX2_V4" mx2.example)" = "$2" ] && ok "$1: nothing deployed" ||
		not_ok "$1: nothing deployed"
}

# watched_run WATCH PHASE WHAT [roll]: with the watcher in WATCH and the
# probers on, [roll mx2, then] run --wait, which must deploy (exit 0);
# the probers judged over PHASE, the live chain kept in WATCH.pem. Sets
# $mark (daneroll's log lines before), $t0 (the start) and $spki (the
# live leaf's).
watched_run() {
	# shellcheck disable=SC2086 # the addresses, one a word
	watch_start "$1" "$owner" "$MX2_V4" mx2.example rsa2048 $servers
	e2e_probe_mark
	mark=$(wc -l <"$LOGDIR/daneroll.log")
	t0=$(date +%s.%N)
	[ "${4:-}" = roll ] && dr roll mx2.example >/dev/null
	if DR_TIMEOUT=170 dr_ts run --wait >/dev/null; then ok "$3 (exit 0)"; else not_ok "$3 (exit $?)" "$(tail -n 15 "$LOGDIR/daneroll.log")"; fi
	sleep 1
	watch_stop
	e2e_probe_phase "$2" 10
	live_chain "$MX2_V4" mx2.example >"$1.pem"
	spki=$(spki_of "$1.pem")
}

# watched_aged WHOSE HASH WATCH SPKI T0: the independent timeline from
# the watcher in WATCH: when every address first served the 2 1 1 HASH
# ($served) and when SPKI first went live, both shown from T0; ok if the
# chain went live more than the TTL (5 s) after. The served time is known
# only to the gap since the sample before, which a watcher on 2 busy cores
# once stretched to 8 s (3 samples in a phase): over 1.5 s it is a skip
# (daneroll's log and the probers judge the order then).
watched_aged() {
	local live before
	served=$(first_served "$2" "$3")
	live=$(first_live "$3" "$4")
	before=$(awk -v s="${served:-0}" '$1 < s { t = $1 } END { print t }' "$3/dns")
	echo "# $1 2 1 1 served by all of $servers at +$(ts_sub "${served:-0}" "$5") s (sampled $(ts_sub "${served:-0}" "${before:-0}") s after the sample before); chain live at +$(ts_sub "${live:-0}" "$5") s"
	if [ -n "$served" ] && [ -n "$before" ] && ts_aged "$served" "$before" 1.5; then
		skip "the watcher times $1 2 1 1 against the deploy" "it sampled $(ts_sub "$served" "$before") s apart: too sparse to time"
	elif [ -n "$served" ] && [ -n "$live" ] && ts_aged "$live" "$served" 5; then
		ok "the chain went live only after $1 2 1 1 was served everywhere for longer than the TTL (5 s; $(ts_sub "$live" "$served") s)"
	else
		not_ok "the chain went live only after $1 2 1 1 aged" "served=$served live=$live"
	fi
}

# ---------------------------------------------------------------- 3
pebble_restart 2
ca2=$(spki_of "$D/ca2.pem")
int2=$(spki_of "$D/int2.pem")
[ -n "$ca2" ] && [ "$ca2" != "$ca1" ] && ok "pebble restarted with a new root CA" ||
	not_ok "pebble restarted with a new root CA" "ca1=$ca1 ca2=$ca2"

# ---------------------------------------------------------------- 3a
FOLLOW=no write_conf "$D/ca1.pem"
check "config check with issuer_follow = no" dr config check
e2e_probe_mark
held_roll "strict pinning, a chain from another CA" "$spki1"
! tlsa_at "$NS1_V4" "$owner" | grep -q "$int2" && ok "strict pinning: the new CA's record not published" ||
	not_ok "strict pinning: the new CA's record not published" "$(tlsa_at "$NS1_V4" "$owner")"
dr status --json mx2.example 2>/dev/null | json_keep status mx2.example >"$LOGDIR/status-strict.json"
jq -e '.hosts[0].slots[0].alert == "critical"' "$LOGDIR/status-strict.json" >/dev/null &&
	ok "strict pinning: status --json shows a critical alert" ||
	not_ok "strict pinning: status --json shows a critical alert" "$(jq -c '.hosts[0].slots' "$LOGDIR/status-strict.json")"
jq -e '.hosts[0].slots[0].alert_reason | test("issuer_follow = no")' "$LOGDIR/status-strict.json" >/dev/null &&
	ok "strict pinning: the alert names the new CA and issuer_follow" ||
	not_ok "strict pinning: the alert names the new CA and issuer_follow" "$(jq -c '.hosts[0].slots[0].alert_reason' "$LOGDIR/status-strict.json")"
e2e_probe_phase "strict pinning" 5

# ---------------------------------------------------------------- 3b
write_conf "$D/ca1.pem"
check "config check, following the CA (default)" dr config check

watched_run "$LOGDIR/watch" "following the CA" "rollover to the new CA" roll
spki2=$spki
[ -n "$spki2" ] && [ "$spki2" != "$spki1" ] && ok "a new leaf key is live after the CA change" ||
	not_ok "a new leaf key is live after the CA change" "$spki1 -> $spki2"
chain_spkis "$LOGDIR/watch.pem" | grep -q "^$int2\$" &&
	ok "the live chain comes from the new CA and sends its intermediate" ||
	not_ok "the live chain comes from the new CA and sends its intermediate" "$(openssl crl2pkcs7 -nocrl -certfile "$LOGDIR/watch.pem" | openssl pkcs7 -print_certs -noout)"
grep -q "a CA no pin names" "$LOGDIR/daneroll.log" && ok "daneroll says it follows the new CA" ||
	not_ok "daneroll says it follows the new CA"

watched_aged "the new CA's" "$int2" "$LOGDIR/watch" "$spki2" "$t0"
# daneroll's own order: the publish, the hold, then the deploy.
tail -n +"$((mark + 1))" "$LOGDIR/daneroll.log" >"$LOGDIR/phase3.log"
n_pub=$(grep -n -m1 'published .* records at' "$LOGDIR/phase3.log" | cut -d: -f1)
n_held=$(grep -n -m1 'held until its record has aged' "$LOGDIR/phase3.log" | cut -d: -f1)
n_dep=$(grep -n -m1 -E 'appended .* from issuer_cert|installed .* reloaded|deploying -> verifying' "$LOGDIR/phase3.log" | cut -d: -f1)
# (The hold shows only when the certificate came before the record aged:
# on a slow machine issuance may take longer than TTL + margin.)
if [ -n "$n_pub" ] && [ -n "$n_held" ] && [ -n "$n_dep" ] && [ "$n_pub" -lt "$n_held" ] && [ "$n_held" -lt "$n_dep" ]; then
	ok "daneroll's log: publish, certificate held, then deploy (lines $n_pub < $n_held < $n_dep)"
elif [ -n "$n_pub" ] && [ -z "$n_held" ] && [ -n "$n_dep" ] && [ "$n_pub" -lt "$n_dep" ]; then
	ok "daneroll's log: publish, then deploy (issuance outlasted the TTL wait: no hold needed)"
else
	not_ok "daneroll's log: publish, certificate held, then deploy" "pub=$n_pub held=$n_held dep=$n_dep"
fi
# Its stamped log: no line naming the deploy before the record aged.
t_dep=$(sed -n "${n_dep:-1}p" "$LOGDIR/phase3.log" | cut -d' ' -f1)
[ -n "$served" ] && [ -n "$t_dep" ] && ts_aged "$t_dep" "$served" 5 &&
	ok "daneroll logged the deploy after the record aged" ||
	not_ok "daneroll logged the deploy after the record aged" "deploy=$t_dep served=$served"
dr status --json mx2.example 2>/dev/null | json_keep status mx2.example >"$LOGDIR/status.json"
if jq -e '.hosts[0].slots[0].state == "standby" and .hosts[0].slots[0].current_spki == "'"$spki2"'" and .hosts[0].slots[0].alert == "ok"' "$LOGDIR/status.json" >/dev/null; then
	ok "status --json: standby, the new key current, no alert"
else
	not_ok "status --json: standby, the new key current, no alert" "$(jq -c '.hosts[0].slots' "$LOGDIR/status.json")"
fi
# The status events, oldest first: the hold comes before the move to verifying.
ev=$(jq -r '.hosts[0].events | reverse | .[] | "\(.at) \(.from) -> \(.to): \(.reason)"' "$LOGDIR/status.json")
echo "$ev" | sed 's/^/# event: /'
h=$(echo "$ev" | grep -n -m1 'deploying' | cut -d: -f1)
v=$(echo "$ev" | grep -n -m1 -- '-> verifying' | cut -d: -f1)
[ -n "$v" ] && { [ -z "$h" ] || [ "$h" -le "$v" ]; } && ok "status events: deploying before verifying" ||
	not_ok "status events: deploying before verifying" "$ev"
# proof_to_deploy DB: daneroll's own clock, from its event log: the proof
# of propagation that preceded the last deploy, and that deploy (its move
# to verifying), at least the TTL apart. Not from status --json: it shows
# the recent events only, and a rollover that retires the old key in the
# same run leaves the proof out of them.
proof_to_deploy() {
	local pair gap
	pair=$(sqlite3 "$1" "SELECT (SELECT s.at FROM events s WHERE s.id < v.id
		AND s.host = v.host AND s.reason LIKE 'every authoritative address serves%'
		ORDER BY s.id DESC LIMIT 1), v.at FROM events v
		WHERE v.new_state = 'verifying' ORDER BY v.id DESC LIMIT 1;" | tr '|' ' ')
	if [ -n "${pair% *}" ] && [ -n "${pair#* }" ] && [ "$pair" != "${pair% *}" ]; then
		gap=$(( ${pair#* } - ${pair% *} ))
		[ "$gap" -ge 5 ] && ok "event log: deployed ${gap} s after every address served the new RRset (TTL 5 s)" ||
			not_ok "event log: deploy at least the TTL after the proof" "$pair"
	else
		not_ok "event log: a proof of propagation, then the deploy" "$(sqlite3 "$1" 'SELECT id, at, new_state, reason FROM events ORDER BY id DESC LIMIT 12')"
	fi
}
proof_to_deploy "$D/state/daneroll.db"
rrset=$(tlsa_at "$NS2_V4" "$owner")
echo "$rrset" | grep -q "^3 1 1 $spki2\$" && echo "$rrset" | grep -q "^2 1 1 $int2\$" &&
	echo "$rrset" | grep -q "^2 1 1 $ca1\$" && ! echo "$rrset" | grep -q "$spki1" &&
	ok "at the end: 3 1 1 of the new key, 2 1 1 of the pinned root and the followed CA, the old key retired" ||
	not_ok "at the end: 3 1 1 new, 2 1 1 pinned and followed, old retired" "$rrset"

# ---------------------------------------------------------------- 4
# issuer_pin = root, and the CA changes again. pebble sends leaf +
# intermediate, never its root: a "2 1 1" of that root would vouch for
# nothing the server sends, so daneroll does not follow. The chain is
# held with one critical alert naming the root; run --wait exits 69.
# The operator adds the root with issuer_cert: its record is published
# and aged, the deployer appends it, and only then the chain goes live.
pebble_restart 3
ca3=$(spki_of "$D/ca3.pem")
int3=$(spki_of "$D/int3.pem")
root3=$(openssl x509 -in "$D/ca3.pem" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')
[ -n "$ca3" ] && [ "$ca3" != "$ca2" ] && [ -n "$root3" ] && ok "pebble restarted with a third root CA ($root3)" ||
	not_ok "pebble restarted with a third root CA" "ca2=$ca2 ca3=$ca3"
PIN=root write_conf "$D/ca1.pem"
check "config check with issuer_pin = root" dr config check
e2e_probe_mark
mark=$(wc -l <"$LOGDIR/daneroll.log")
held_roll "issuer_pin = root, the root not sent" "$spki2"
rrset=$(tlsa_at "$NS1_V4" "$owner")
! echo "$rrset" | grep -q -e "$int3" -e "$ca3" && ok "root not sent: no record of the new CA published" ||
	not_ok "root not sent: no record of the new CA published" "$rrset"
n=$(tail -n +"$((mark + 1))" "$LOGDIR/daneroll.log" | grep -c "does not send its root /CN=$root3")
[ "$n" -eq 1 ] && ok "root not sent: one alert naming the root ($root3)" ||
	not_ok "root not sent: one alert naming the root" "$n lines; $(tail -n 8 "$LOGDIR/daneroll.log")"
dr status --json mx2.example 2>/dev/null | json_keep status mx2.example >"$LOGDIR/status-root.json"
jq -e --arg r "$root3" '.hosts[0].slots[0].alert == "critical" and (.hosts[0].slots[0].alert_reason | contains($r) and contains("add the root'"'"'s certificate with issuer_cert"))' \
	"$LOGDIR/status-root.json" >/dev/null &&
	ok "root not sent: status --json, a critical alert telling to add the root with issuer_cert" ||
	not_ok "root not sent: status --json alert" "$(jq -c '.hosts[0].slots[0]' "$LOGDIR/status-root.json")"
e2e_probe_phase "issuer_pin = root, held" 5

PIN=root write_conf "$D/ca1.pem" "$D/ca3.pem"
check "config check with the root added by issuer_cert" dr config check
watched_run "$LOGDIR/watch3" "issuer_pin = root, the root pinned" \
	"the root added: the held chain deployed"
spki3=$spki
spkis=$(chain_spkis "$LOGDIR/watch3.pem")
[ -n "$spki3" ] && [ "$spki3" != "$spki2" ] && echo "$spkis" | grep -q "^$int3\$" && echo "$spkis" | grep -q "^$ca3\$" &&
	ok "the live chain: a new leaf, pebble's intermediate and the root appended from issuer_cert" ||
	not_ok "the live chain: new leaf, intermediate and appended root" "$spki2 -> $spki3; $spkis"
watched_aged "the root's" "$ca3" "$LOGDIR/watch3" "$spki3" "$t0"
# daneroll's log, stamped as each line arrived: its last proof that every
# address serves the RRset, then the install, at least the TTL apart.
tail -n +"$((mark + 1))" "$LOGDIR/daneroll.log" >"$LOGDIR/phase4.log"
n_dep=$(grep -n -m1 'installed .* reloaded' "$LOGDIR/phase4.log" | cut -d: -f1)
t_proof=$(head -n "${n_dep:-0}" "$LOGDIR/phase4.log" | grep 'authoritative addresses serve the RRset' | tail -n 1 | cut -d' ' -f1)
t_dep=$(sed -n "${n_dep:-1}p" "$LOGDIR/phase4.log" | cut -d' ' -f1)
[ -n "$n_dep" ] && [ -n "$t_proof" ] && ts_aged "$t_dep" "$t_proof" 5 &&
	ok "daneroll's log: installed $(ts_sub "$t_dep" "$t_proof") s after every address served the RRset with the root (TTL 5 s)" ||
	not_ok "daneroll's log: the install at least the TTL after the proof" "proof=$t_proof install=$t_dep"
rrset=$(tlsa_at "$NS2_V4" "$owner")
echo "$rrset" | grep -q "^3 1 1 $spki3\$" && echo "$rrset" | grep -q "^2 1 1 $ca3\$" &&
	! echo "$rrset" | grep -q -e "$int3" -e "$spki2" &&
	ok "at the end: 3 1 1 of the new key, 2 1 1 of the new root (no intermediate's), the old key retired" ||
	not_ok "at the end: 3 1 1 new, 2 1 1 of the new root only" "$rrset"

e2e_prober_stop
summary
