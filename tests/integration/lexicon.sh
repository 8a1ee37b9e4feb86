#!/bin/bash
# hooks/dns/lexicon, through Lexicon's powerdns provider, against the
# world's real PowerDNS (pdns.example., HTTP API), in the namespace world:
#
#  1. the hook alone: replace with 1, 2, other 2, 0 records; a re-run that
#     sends nothing (the SOA serial stays); upper-case hex; another TTL
#     (kept, said); one record replaced by another, added before the old
#     one goes (seen by a relay in front of the API); other owners'
#     TLSA and the owner's other types untouched; the TTL set; a wrong API
#     key (exit 1, the server's 401 named, nothing changed), an API where
#     nothing listens (exit 75), a provider file others may read, no zone,
#     an owner outside the zone, bad arguments; the key never in output.
#     DANEROLL_SERVED: a first RRset's served record created first; a
#     first RRset two served chains need refused (exit 1, nothing
#     created), as is one of 2 records with DANEROLL_SERVED unset.
#  2. daneroll refusing (through the hook) the first RRset of a host that
#     serves RSA and ECDSA, the operator publishing the two records in one
#     change, then a full "current + next" rollover of both algorithms of
#     the host mx.pdns.example, published only by an exec publisher
#     running the hook, pebble + certbot issuing, Postfix serving, the independent
#     prober handshaking with every address and algorithm throughout:
#     zero failures, the new keys live, the old records gone.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -u
# shellcheck source=tests/integration/e2elib
. "$(dirname "$0")/e2elib"
# The hook runs Debian's python (its #! line), not a python3 found first in PATH.
if ! /usr/bin/python3 -c 'import lexicon.providers.powerdns' 2>/dev/null; then
	skip "hooks/dns/lexicon" "needs python3-lexicon"
	summary
	exit 0
fi
e2e_start lexicon "hooks/dns/lexicon against PowerDNS" certbot pdns_server
hook=$top/hooks/dns/lexicon
t=$D/hook
mkdir -p "$t"
key=$(cat "$PDNS_API_KEY_FILE")
api=${PDNS_API_URL%/api/v1}

# provider_file FILE URL KEY: a Lexicon provider file for powerdns, 0600.
provider_file() {
	(umask 077 && printf 'auth_token: %s\npdns_server: %s\npdns_server_id: %s\n' \
		"$3" "$2" "$PDNS_SERVER_ID" >"$1")
}
provider_file "$t/lexicon_powerdns.yml" "$api" "$key"

# H [ENV=...] -- ARGS: the hook in the namespace, with the environment
# daneroll gives it; output in $t/out (and appended to $t/all); $? its.
H() {
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	in_ns env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C \
		DANEROLL_PUBLISHER=lexicon "${envs[@]}" "$hook" "$@" >"$t/out" 2>&1
	local rc=$?
	cat "$t/out" >>"$t/all"
	return $rc
}
# R OWNER TTL [RECORD...]: replace through the test's provider file.
R() { H DANEROLL_ZONE=pdns.example -- -p powerdns -c "$t/lexicon_powerdns.yml" replace "$@"; }

# api_rrset OWNER TYPE: what the API holds, "TTL content" a line, sorted.
api_rrset() {
	in_ns curl -sf -H @"$PDNS_API_HEADER_FILE" "$PDNS_API_URL/servers/$PDNS_SERVER_ID/zones/pdns.example." |
		jq -r --arg n "$1." --arg t "$2" \
			'.rrsets[] | select(.name == $n and .type == $t) | .ttl as $ttl | .records[] | "\($ttl) \(.content)"' |
		sort
}
api_tlsa() { api_rrset "$1" TLSA | cut -d' ' -f2- | tr 'A-F' 'a-f'; }
serial() { in_ns dig +short +norec @"$PDNS_V4" pdns.example SOA | awk '{ print $3 }'; }
hex() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
lines() { printf '%s\n' "$@" | sort; }

o=_25._tcp.lexa.pdns.example
o2=_25._tcp.lexb.pdns.example
a="3 1 1 $(hex)" b="3 1 1 $(hex)" c="2 1 1 $(hex)"

# ---------------------------------------------------------------- 1
R "$o2" 5 "$c" && R "$o" 5 "$a"; rc=$?
[ $rc -eq 0 ] && [ "$(api_tlsa "$o")" = "$a" ] && [ "$(tlsa_at "$PDNS_V4" "$o")" = "$a" ] &&
	ok "replace with 1 record: exit 0, the API holds it, PowerDNS serves it" ||
	not_ok "replace with 1 record" "rc=$rc $(cat "$t/out") api=$(api_tlsa "$o")"
[ "$(api_rrset "$o" TLSA | cut -d' ' -f1)" = 5 ] && ok "the RRset has the TTL asked for (5)" ||
	not_ok "the RRset has the TTL asked for" "$(api_rrset "$o" TLSA)"
# A TXT record at the same owner, which the hook must leave alone.
in_ns curl -sf -X PATCH -H @"$PDNS_API_HEADER_FILE" -H 'Content-Type: application/json' \
	--data '{"rrsets": [{"name": "'"$o"'.", "type": "TXT", "ttl": 5, "changetype": "REPLACE",
	"records": [{"content": "\"keep me\"", "disabled": false}]}]}' \
	"$PDNS_API_URL/servers/$PDNS_SERVER_ID/zones/pdns.example." >/dev/null ||
	not_ok "a TXT record added through the API"

R "$o" 5 "$a" "$b"; rc=$?
[ $rc -eq 0 ] && [ "$(api_tlsa "$o")" = "$(lines "$a" "$b")" ] &&
	[ "$(tlsa_at "$PDNS_V4" "$o")" = "$(lines "$a" "$b")" ] && grep -q '1 added, 0 removed' "$t/out" &&
	ok "replace with 2 records: the second added, the first kept" ||
	not_ok "replace with 2 records" "rc=$rc $(cat "$t/out") api=$(api_tlsa "$o")"

s0=$(serial)
R "$o" 5 "$b" "$a"; rc=$?
[ $rc -eq 0 ] && grep -q '0 added, 0 removed' "$t/out" && [ "$(serial)" = "$s0" ] &&
	[ "$(api_tlsa "$o")" = "$(lines "$a" "$b")" ] &&
	ok "the same replace again: exit 0, nothing sent (SOA serial $s0 unchanged)" ||
	not_ok "the same replace again changes nothing" "rc=$rc serial $s0 -> $(serial) $(cat "$t/out")"

# Lexicon cannot change a TTL without removing the record a moment: the
# records stay with theirs, and the hook says so.
R "$o" 10 "$a" "$b"; rc=$?
[ $rc -eq 0 ] && grep -q 'records kept keep their TTL 5 (wanted 10)' "$t/out" && [ "$(serial)" = "$s0" ] &&
	ok "another TTL asked for: the records kept as they are, said so, nothing sent" ||
	not_ok "another TTL asked for: records kept, said so" "rc=$rc serial $s0 -> $(serial) $(cat "$t/out")"

up=$(echo "$a" | tr 'a-f' 'A-F')
R "$o" 5 "$up" "$b"; rc=$?
[ $rc -eq 0 ] && grep -q '0 added, 0 removed' "$t/out" && [ "$(serial)" = "$s0" ] &&
	ok "upper-case hex is the same record (nothing sent)" ||
	not_ok "upper-case hex is the same record" "rc=$rc $(cat "$t/out")"

R "$o" 5 "$b" "$c"; rc=$?
[ $rc -eq 0 ] && [ "$(api_tlsa "$o")" = "$(lines "$b" "$c")" ] && grep -q '1 added, 1 removed' "$t/out" &&
	ok "replace 2 by another 2: one added, one removed, one kept" ||
	not_ok "replace 2 by another 2" "rc=$rc $(cat "$t/out") api=$(api_tlsa "$o")"

# The order of the changes, seen by a relay in front of the API that
# logs the TLSA records of each PATCH: replacing the one record by another
# must add first, so that the RRset is never empty.
cat >"$t/relay.py" <<'PY'
import http.server, json, sys, urllib.error, urllib.request
host, port, upstream, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
class H(http.server.BaseHTTPRequestHandler):
    def relay(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        if self.command == "PATCH" and body:
            with open(log, "a") as f:
                for rr in json.loads(body).get("rrsets", []):
                    if rr["type"] == "TLSA":
                        f.write(",".join(sorted(r["content"].lower()
                                for r in rr["records"])) + "\n")
        keep = ("x-api-key", "content-type")
        req = urllib.request.Request(upstream + self.path, data=body,
            method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() in keep})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                status, data = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, data = e.code, e.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_PATCH = do_PUT = do_POST = do_DELETE = relay
    def log_message(self, *a): pass
http.server.HTTPServer((host, port), H).serve_forever()
PY
ip netns exec "$NS" /usr/bin/python3 "$t/relay.py" "$PDNS_V4" 8098 "$api" "$t/patches" &
relay_pid=$!
for _ in $(seq 100); do
	in_ns bash -c "exec 3<>/dev/tcp/$PDNS_V4/8098" 2>/dev/null && break
	sleep 0.1
done
mkdir -p "$t/relay"
provider_file "$t/relay/lexicon_powerdns.yml" "http://$PDNS_V4:8098" "$key"
o3=_25._tcp.lexc.pdns.example
R "$o3" 5 "$a" && H DANEROLL_ZONE=pdns.example -- -p powerdns -c "$t/relay/lexicon_powerdns.yml" replace "$o3" 5 "$c"
rc=$?
[ $rc -eq 0 ] && [ "$(cat "$t/patches" 2>/dev/null)" = "$(lines "$a" "$c" | paste -sd,)
$c" ] && [ "$(api_tlsa "$o3")" = "$c" ] &&
	ok "one record replaced by another: added first, then the old one removed (PATCHes: {a,c} then {c}; never empty)" ||
	not_ok "one record replaced by another: add before delete" "rc=$rc $(cat "$t/out")
PATCHes: $(cat "$t/patches" 2>/dev/null)"
# A first RRset: the record the served chain needs (DANEROLL_SERVED) goes
# first, whatever the order of the arguments.
: >"$t/patches"
o4=_25._tcp.lexd.pdns.example
H DANEROLL_ZONE=pdns.example DANEROLL_SERVED="$b" -- -p powerdns -c "$t/relay/lexicon_powerdns.yml" \
	replace "$o4" 5 "$a" "$b"
rc=$?
kill "$relay_pid" 2>/dev/null
wait "$relay_pid" 2>/dev/null
[ $rc -eq 0 ] && [ "$(cat "$t/patches" 2>/dev/null)" = "$b
$(lines "$a" "$b" | paste -sd,)" ] && [ "$(api_tlsa "$o4")" = "$(lines "$a" "$b")" ] &&
	ok "a first RRset: the served chain's record created first (PATCHes: {b} then {a,b})" ||
	not_ok "a first RRset: the served chain's record first" "rc=$rc $(cat "$t/out")
PATCHes: $(cat "$t/patches" 2>/dev/null)"

# A first RRset two served chains need (two algorithms): no order of
# single adds keeps both matched, so nothing is changed and the records
# are named; the same without DANEROLL_SERVED (who needs what unknown).
o5=_25._tcp.lexe.pdns.example
H DANEROLL_ZONE=pdns.example DANEROLL_SERVED="$a,$b" -- -p powerdns -c "$t/lexicon_powerdns.yml" \
	replace "$o5" 5 "$a" "$b" "$c"
rc=$?
[ $rc -eq 1 ] && grep -q "$o5 has no TLSA record yet.*the 2 chains served now each need their own" "$t/out" &&
	grep -qF "$a; $b" "$t/out" && grep -q 'Nothing was changed' "$t/out" && [ -z "$(api_tlsa "$o5")" ] &&
	ok "a first RRset two served chains need: exit 1, nothing created, both records named" ||
	not_ok "a first RRset two served chains need: refused" "rc=$rc $(cat "$t/out") api=$(api_tlsa "$o5")"
R "$o5" 5 "$a" "$b"; rc=$?
[ $rc -eq 1 ] && grep -q 'DANEROLL_SERVED not set' "$t/out" && [ -z "$(api_tlsa "$o5")" ] &&
	ok "a first RRset of 2 records, served chains unknown: exit 1, nothing created" ||
	not_ok "a first RRset of 2 records, served chains unknown: refused" "rc=$rc $(cat "$t/out") api=$(api_tlsa "$o5")"
H DANEROLL_ZONE=pdns.example DANEROLL_SERVED="3 1 1 zz" -- -p powerdns -c "$t/lexicon_powerdns.yml" \
	replace "$o5" 5 "$a"
rc=$?
[ $rc -eq 64 ] && grep -q 'bad record in DANEROLL_SERVED' "$t/out" && [ -z "$(api_tlsa "$o5")" ] &&
	ok "a bad DANEROLL_SERVED: exit 64, nothing created" ||
	not_ok "a bad DANEROLL_SERVED: exit 64" "rc=$rc $(cat "$t/out")"

# Failures: each leaves the RRset as it was.
before=$(api_tlsa "$o") s0=$(serial)
unchanged() { [ "$(api_tlsa "$o")" = "$before" ] && [ "$(serial)" = "$s0" ]; }
bad=dr-wrong-$(hex)
mkdir -p "$t/bad"
provider_file "$t/bad/lexicon_powerdns.yml" "$api" "$bad"
H DANEROLL_ZONE=pdns.example -- -p powerdns -c "$t/bad/lexicon_powerdns.yml" replace "$o" 5 "$a"; rc=$?
[ $rc -eq 1 ] && grep -q "GET $api/api/v1/servers/$PDNS_SERVER_ID/zones/pdns.example.: HTTP 401" "$t/out" &&
	unchanged && ! grep -qF "$bad" "$t/out" &&
	ok "wrong API key: exit 1, the server's 401 and URL named, nothing changed, the key not shown" ||
	not_ok "wrong API key" "rc=$rc $(cat "$t/out")"

mkdir -p "$t/down"
provider_file "$t/down/lexicon_powerdns.yml" "http://$PDNS_V4:8099" "$key"
H DANEROLL_ZONE=pdns.example -- -p powerdns -c "$t/down/lexicon_powerdns.yml" replace "$o" 5 "$a"; rc=$?
[ $rc -eq 75 ] && grep -q 'cannot reach the provider' "$t/out" && grep -q "$PDNS_V4.*8099" "$t/out" &&
	unchanged && ok "API where nothing listens: exit 75 (retry later), the address named" ||
	not_ok "API where nothing listens: exit 75" "rc=$rc $(cat "$t/out")"

chmod 644 "$t/lexicon_powerdns.yml"
R "$o" 5 "$a"; rc=$?
[ $rc -eq 78 ] && grep -q 'may be read by group or others' "$t/out" && unchanged &&
	ok "provider file others may read: refused (78), nothing changed" ||
	not_ok "provider file others may read: refused (78)" "rc=$rc $(cat "$t/out")"
chmod 600 "$t/lexicon_powerdns.yml"

H -- -p powerdns -c "$t/lexicon_powerdns.yml" replace "$o" 5 "$a"; rc=$?
[ $rc -eq 78 ] && grep -q 'no zone' "$t/out" && unchanged &&
	ok "no zone (no DANEROLL_ZONE, no -z): refused (78)" || not_ok "no zone: refused (78)" "rc=$rc $(cat "$t/out")"
R _25._tcp.mx1.example 5 "$a"; rc=$?
[ $rc -eq 78 ] && grep -q 'is not in zone pdns.example' "$t/out" &&
	ok "an owner outside the zone: refused (78)" || not_ok "an owner outside the zone: refused (78)" "rc=$rc $(cat "$t/out")"
n=0
bad_args() { # ARGS...: must exit 64
	H DANEROLL_ZONE=pdns.example -- -p powerdns -c "$t/lexicon_powerdns.yml" "$@"
	local rc=$?
	[ $rc -eq 64 ] || { not_ok "bad arguments: exit 64 ($*)" "rc=$rc $(cat "$t/out")"; n=$((n + 1)); }
}
bad_args update "$o" 5 "$a"
bad_args replace "$o"
bad_args replace "$o" x5
bad_args replace "$o" 0 "$a"
bad_args replace ".$o" 5 "$a"
bad_args replace "$o" 5 "3_1_1_00"
bad_args replace "$o" 5 "4 1 1 00"
bad_args replace "$o" 5 "3 1 1 0g"
bad_args replace "$o" 5 "3 1 1 abc"
bad_args -p ../powerdns replace "$o" 5 "$a"
H DANEROLL_ZONE=pdns.example -- -c "$t/lexicon_powerdns.yml" replace "$o" 5 "$a"
[ $? -eq 64 ] || { not_ok "no -p: exit 64" "$(cat "$t/out")"; n=$((n + 1)); }
[ $n -eq 0 ] && unchanged && ok "bad arguments (11 kinds): exit 64, nothing changed"

R "$o" 5; rc=$?
[ $rc -eq 0 ] && [ -z "$(api_tlsa "$o")" ] && [ -z "$(tlsa_at "$PDNS_V4" "$o")" ] &&
	grep -q '2 removed' "$t/out" &&
	ok "replace with no record: the TLSA RRset is gone (API and DNS)" ||
	not_ok "replace with no record" "rc=$rc $(cat "$t/out") api=$(api_tlsa "$o")"
R "$o" 5; rc=$?
[ $rc -eq 0 ] && grep -q '0 added, 0 removed' "$t/out" && ok "no record, again: exit 0, nothing to do" ||
	not_ok "no record, again" "rc=$rc $(cat "$t/out")"
[ "$(api_rrset "$o" TXT)" = '5 "keep me"' ] && [ "$(api_tlsa "$o2")" = "$c" ] &&
	ok "the owner's TXT record and another owner's TLSA untouched" ||
	not_ok "other records untouched" "txt=$(api_rrset "$o" TXT) o2=$(api_tlsa "$o2")"
! grep -qF "$key" "$t/all" && [ -s "$t/all" ] && ok "the API key never in the hook's output" ||
	not_ok "the API key never in the hook's output"

# ---------------------------------------------------------------- 2
e2e_certbot_settings
{
	e2e_global
	cat <<CONF
[publisher lexicon]
type = exec
zone = pdns.example
command = $hook -p powerdns -c $t/lexicon_powerdns.yml
timeout = 30s

CONF
	e2e_mx1 mx.pdns.example lexicon "acme_hook = $CERTBOT_HOOK"
} >"$D/daneroll.conf"
chmod 600 "$D/daneroll.conf"
owner=_25._tcp.mx.pdns.example
targets=
for a in "$MX1_V4" "$MX1_V6"; do
	for alg in rsa2048 ecdsa-p256; do targets="$targets mx.pdns.example:$a:$alg"; done
done
# shellcheck disable=SC2086
e2e_prober $targets
# shellcheck disable=SC2086
e2e_prober --cold $targets
sleep 2
check "config check" dr config check
spkis() { jq -r ".hosts[0].slots[] | .$1" "$LOGDIR/status.json"; }
want_of() { for k in "$@"; do echo "3 1 1 $k"; done | sort; }

# The host serves an RSA and an ECDSA chain, and the owner has no TLSA
# record: the hook refuses to create the RRset one record at a time, and
# the operator publishes the two records the served chains need in one
# change (the API's PATCH), as the refusal asks.
dr_ts run >/dev/null; rc=$?
[ $rc -eq 69 ] && grep -q "$owner has no TLSA record yet and Lexicon adds one record at a time" "$LOGDIR/daneroll.log" &&
	[ -z "$(api_tlsa "$owner")" ] && [ -z "$(tlsa_at "$PDNS_V4" "$owner")" ] &&
	ok "the first RRset of two served chains: the hook refuses, nothing published, run exits 69" ||
	not_ok "the first RRset of two served chains: refused" "rc=$rc api=$(api_tlsa "$owner") $(tail -n 5 "$LOGDIR/daneroll.log")"
served=$(for alg in rsa2048 ecdsa-p256; do echo "3 1 1 $(live_spki "$MX1_V4" mx.pdns.example "$alg")"; done)
records=$(echo "$served" | jq -R '{content: ., disabled: false}' | jq -s -c .)
in_ns curl -sf -X PATCH -H @"$PDNS_API_HEADER_FILE" -H 'Content-Type: application/json' \
	--data '{"rrsets": [{"name": "'"$owner"'.", "type": "TLSA", "ttl": 5, "changetype": "REPLACE",
	"records": '"$records"'}]}' \
	"$PDNS_API_URL/servers/$PDNS_SERVER_ID/zones/pdns.example." >/dev/null &&
	grep -qF "$(echo "$served" | head -n 1)" "$LOGDIR/daneroll.log" &&
	grep -qF "$(echo "$served" | tail -n 1)" "$LOGDIR/daneroll.log" &&
	ok "the two records the refusal names published in one change" ||
	not_ok "the two records the refusal names published in one change" "$served"
dr roll --resume mx.pdns.example >/dev/null
if DR_TIMEOUT=150 dr_ts run --wait >/dev/null; then ok "taken under management (run --wait exit 0)"; else
	not_ok "taken under management (exit $?)" "$(tail -n 15 "$LOGDIR/daneroll.log")"; fi
dr status --json mx.pdns.example 2>/dev/null | json_keep status mx.pdns.example >"$LOGDIR/status.json"
cur1=$(spkis current_spki)
next1=$(spkis next_spki)
# shellcheck disable=SC2086
want=$(want_of $cur1 $next1)
[ "$(echo "$next1" | grep -c '^[0-9a-f]\{64\}$')" -eq 2 ] && [ "$(api_tlsa "$owner")" = "$want" ] &&
	[ "$(tlsa_at "$PDNS_V4" "$owner")" = "$want" ] && [ "$(tlsa_at "$PDNS_V6" "$owner")" = "$want" ] &&
	ok "current + next of both algorithms published by the hook (API, and PowerDNS on v4 and v6)" ||
	not_ok "current + next published by the hook" "want=$want api=$(api_tlsa "$owner")"
grep -q "$owner: all [0-9]* authoritative addresses serve" "$LOGDIR/daneroll.log" &&
	ok "daneroll proved the hook's records served" || not_ok "daneroll proved the hook's records served"

dr roll mx.pdns.example >/dev/null
start=$(date +%s)
if DR_TIMEOUT=170 dr_ts run --wait >/dev/null; then ok "the rollover completes (exit 0)"; else
	not_ok "the rollover completes (exit $?)" "$(tail -n 15 "$LOGDIR/daneroll.log")"; fi
echo "# rollover wall time: $(($(date +%s) - start)) s (TTL 5 s)"
dr status --json mx.pdns.example 2>/dev/null | json_keep status mx.pdns.example >"$LOGDIR/status.json"
cur2=$(spkis current_spki)
next2=$(spkis next_spki)
[ "$(echo "$cur2" | sort)" = "$(echo "$next1" | sort)" ] &&
	ok "the pre-published next keys became current" ||
	not_ok "the pre-published next keys became current" "next1=$next1 cur2=$cur2"
for a in "$MX1_V4" "$MX1_V6"; do
	r=$(live_spki "$a" mx.pdns.example rsa2048)
	e=$(live_spki "$a" mx.pdns.example ecdsa-p256)
	echo "$cur2" | grep -q "^$r\$" && echo "$cur2" | grep -q "^$e\$" &&
		ok "$a serves the new RSA and ECDSA keys" || not_ok "$a serves the new RSA and ECDSA keys" "rsa=$r ec=$e"
done
# shellcheck disable=SC2086
want=$(want_of $cur2 $next2)
[ "$(api_tlsa "$owner")" = "$want" ] && [ "$(tlsa_at "$PDNS_V4" "$owner")" = "$want" ] &&
	[ "$(tlsa_at "$PDNS_V6" "$owner")" = "$want" ] &&
	ok "at the end: new current + new next, the old keys' records retired (API, v4, v6)" ||
	not_ok "at the end: new current + new next" "want=$want api=$(api_tlsa "$owner")"
# Two changes of the RRset: current + next at the start, then the old
# keys retired with the new next keys published.
n=$(grep -c "published 4 records at $owner" "$LOGDIR/daneroll.log")
[ "$n" -eq 2 ] && ok "both changes of the RRset went through the exec publisher" ||
	not_ok "both changes of the RRset went through the exec publisher" "$n publishes of 4 records"
jq -e '[.hosts[0].slots[] | .state == "standby" and .alert == "ok"] | all' "$LOGDIR/status.json" >/dev/null &&
	ok "status --json: both slots standby, no alert" ||
	not_ok "status --json: both slots standby, no alert" "$(jq -c '.hosts[0].slots' "$LOGDIR/status.json")"
! grep -qF "$key" "$LOGDIR/daneroll.log" && ok "the API key never in daneroll's log" ||
	not_ok "the API key never in daneroll's log"

e2e_prober_stop
summary
