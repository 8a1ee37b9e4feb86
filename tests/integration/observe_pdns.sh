#!/bin/sh
# The propagation observer and the PowerDNS publisher against real servers
# in a network namespace of their own ("drobs"; addresses 192.0.2.0/24 and
# 2001:db8::/32 exist only on its lo):
#
#   ns1  192.0.2.1  2001:db8::1   BIND 9 primary: example. and lag.example.,
#                                 DNSSEC inline-signed, TSIG-authorised
#                                 updates; NOTIFY for example. only
#   ns2  192.0.2.2  2001:db8::2   BIND 9 secondary of both (min-refresh-time
#                                 lowered, so lag.example. catches up on its
#                                 30 s refresh)
#   pdns 192.0.2.4  2001:db8::4   PowerDNS Authoritative, sqlite3, signed
#                                 zone pdns.test., HTTP API on :8081
#
# The C code is driven by build/tests/test_observe_live inside the
# namespace; the servers' view is checked with dig. Root only (skips
# otherwise); everything is torn down on exit.
set -u
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/world/lib.sh
. "$top/tests/world/lib.sh"	# named_authoritative
live=${DANEROLL_BUILD:-$top/build}/tests/test_observe_live
NS=drobs
START=$(date +%s)

if [ "$(id -u)" -ne 0 ]; then
	skip "observer and PowerDNS publisher against real servers" "needs root"
	summary; exit 0
fi
for p in ip named nsupdate tsig-keygen dig pdns_server pdnsutil sqlite3; do
	if ! command -v "$p" >/dev/null 2>&1; then
		skip "observer and PowerDNS publisher against real servers" \
			"$p missing: sh tests/deps.sh world"
		summary; exit 0
	fi
done
if [ ! -x "$live" ]; then
	skip "observer and PowerDNS publisher against real servers" \
		"$live missing: make check-build"
	summary; exit 0
fi

T=$(mktemp -d /tmp/drobs.XXXXXX)
chmod 0755 "$T"
PIDS=""
nsx() { ip netns exec "$NS" "$@"; }

teardown() {
	# shellcheck disable=SC2086 # one pid a word
	stop_pids $PIDS
	ip netns del "$NS" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] && echo "# kept $T" || rm -rf "$T"
}
trap teardown EXIT
trap 'exit 1' INT TERM

# A namespace left by a killed run: stop what it still runs, by pid.
if ip netns list | grep -qw "^$NS"; then
	for p in $(ip netns pids "$NS"); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NS"
fi
ip netns add "$NS" || { not_ok "ip netns add $NS"; summary; exit 1; }
nsx ip link set lo up
for a in 192.0.2.1 192.0.2.2 192.0.2.4; do nsx ip addr add "$a/32" dev lo; done
for a in 2001:db8::1 2001:db8::2 2001:db8::4; do
	nsx ip addr add "$a/128" dev lo nodad
done

signed_soa() { # server zone
	nsx dig +norec +dnssec +time=1 +tries=1 @"$1" "$2" SOA | grep -q 'RRSIG.*SOA'
}
tlsa_at() { # server owner: the records, one per line, sorted
	nsx dig +norec +short +time=1 +tries=1 @"$1" "$2" TLSA |
		tr 'A-F' 'a-f' | sed 's/ //g' | sort
}

H1=0101010101010101010101010101010101010101010101010101010101010101
H2=0202020202020202020202020202020202020202020202020202020202020202
H3=0303030303030303030303030303030303030303030303030303030303030303

# ------------------------------------------------------------ BIND
(umask 077; tsig-keygen -a hmac-sha256 drobs-update >"$T/update.key")
mkdir -p "$T/ns1/keys" "$T/ns2"
zone_file() { # origin, extra lines on stdin
	cat <<EOF
\$TTL 60
@ 120 IN SOA ns1.example. hostmaster.example. 1 30 5 600 60
@ IN NS ns1.example.
@ IN NS ns2.example.
EOF
	cat
}
zone_file <<EOF >"$T/ns1/example.db"
ns1 IN A 192.0.2.1
ns1 IN AAAA 2001:db8::1
ns2 IN A 192.0.2.2
ns2 IN AAAA 2001:db8::2
mx1 IN A 192.0.2.25
EOF
zone_file <<EOF >"$T/ns1/lag.example.db"
mx IN A 192.0.2.26
_25._tcp.mx IN TLSA 3 1 1 $H1
EOF

options() { # dir v4 v6
	cat <<EOF
include "$T/update.key";
options {
	directory "$1";
	pid-file none;
EOF
	named_authoritative "$2" "$3"
	cat <<EOF
	min-refresh-time 5;
	max-refresh-time 30;
	min-retry-time 2;
	notify-delay 0;
};
controls { };
EOF
}
primary() { # zone, then its notify statements
	z=$1
	shift
	cat <<EOF
zone "$z." {
	type primary;
	file "$T/ns1/$z.db";
	key-directory "$T/ns1/keys";
	dnssec-policy drobs;
	inline-signing yes;
	update-policy { grant drobs-update zonesub TLSA; };
	allow-transfer { 192.0.2.2; 2001:db8::2; };
EOF
	printf '\t%s\n' "$@"
	echo '};'
}
{
	options "$T/ns1" 192.0.2.1 2001:db8::1
	cat <<EOF
dnssec-policy drobs {
	keys { csk lifetime unlimited algorithm ecdsap256sha256; };
	dnskey-ttl 60;
	max-zone-ttl 600;
};
EOF
	primary example "notify explicit;" \
		"also-notify { 192.0.2.2; 2001:db8::2; };"
	primary lag.example "notify no;"
} >"$T/ns1/named.conf"
{
	options "$T/ns2" 192.0.2.2 2001:db8::2
	for z in example lag.example; do
		cat <<EOF
zone "$z." {
	type secondary;
	file "$T/ns2/$z.db";
	masterfile-format text;
	primaries { 192.0.2.1; };
	notify no;
};
EOF
	done
} >"$T/ns2/named.conf"

ip netns exec "$NS" named -g -c "$T/ns1/named.conf" >"$T/ns1/log" 2>&1 &
PIDS="$PIDS $!"
# The secondary starts once the primary serves both zones signed: lag.example.
# sends no NOTIFY, so a first transfer of its unsigned copy would leave ns2
# unsigned until its 30 s refresh (CI failed so on 2026-12-07).
ready=1
for w in "192.0.2.1 example." "192.0.2.1 lag.example."; do
	# shellcheck disable=SC2086
	if ! poll 20 signed_soa $w; then
		ready=0
		not_ok "world up: $w serves a signed SOA" "$(tail -n 5 "$T/ns1/log")"
	fi
done
if [ $ready = 0 ]; then summary; exit 1; fi
ip netns exec "$NS" named -g -c "$T/ns2/named.conf" >"$T/ns2/log" 2>&1 &
NS2_PID=$!
PIDS="$PIDS $NS2_PID"

# ------------------------------------------------------------ PowerDNS
P=$T/pdns
mkdir -p "$P/conf.d"
sqlite3 "$P/pdns.sqlite3" </usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql
(umask 077
 head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$P/api-key"
 printf 'api-key=%s\n' "$(cat "$P/api-key")" >"$P/conf.d/api.conf"
 echo "wrong-$(cat "$P/api-key")" >"$P/wrong-key")
cat >"$P/pdns.conf" <<EOF
launch=gsqlite3
gsqlite3-database=$P/pdns.sqlite3
gsqlite3-dnssec=yes
include-dir=$P/conf.d
local-address=192.0.2.4, 2001:db8::4
local-port=53
socket-dir=$P
daemon=no
guardian=no
disable-syslog=yes
loglevel=4
api=yes
webserver=yes
webserver-address=192.0.2.4
webserver-port=8081
webserver-allow-from=192.0.2.0/24
cache-ttl=0
query-cache-ttl=0
negquery-cache-ttl=0
security-poll-suffix=
EOF
cat >"$P/pdns.test.zone" <<EOF
\$ORIGIN pdns.test.
\$TTL 60
@ IN SOA ns.pdns.test. hostmaster.pdns.test. 1 30 5 600 60
@ IN NS ns
ns IN A 192.0.2.4
ns IN AAAA 2001:db8::4
mx IN A 192.0.2.27
EOF
{ pdnsutil --config-dir="$P" load-zone pdns.test. "$P/pdns.test.zone" &&
  pdnsutil --config-dir="$P" secure-zone pdns.test. &&
  pdnsutil --config-dir="$P" set-meta pdns.test. SOA-EDIT-API DEFAULT &&
  pdnsutil --config-dir="$P" rectify-zone pdns.test.; } >"$P/pdnsutil.log" 2>&1 ||
	not_ok "pdnsutil set-up" "$(cat "$P/pdnsutil.log")"
ip netns exec "$NS" pdns_server --config-dir="$P" >"$P/log" 2>&1 &
PIDS="$PIDS $!"

for w in "192.0.2.2 example." "192.0.2.2 lag.example." \
	"2001:db8::2 lag.example." "192.0.2.4 pdns.test."; do
	# shellcheck disable=SC2086
	if ! poll 20 signed_soa $w; then
		ready=0
		not_ok "world up: $w serves a signed SOA" \
			"$(tail -n 5 "$T/ns1/log" "$T/ns2/log" "$P/log")"
	fi
done
if [ $ready = 0 ]; then summary; exit 1; fi
if command -v curl >/dev/null 2>&1; then
	poll 10 nsx curl -s -o /dev/null http://192.0.2.4:8081/
else
	sleep 1
fi
echo "# world up in $(($(date +%s) - START)) s"

# live MODE [VAR=value...]: runs the C driver in the namespace.
live() {
	mode=$1; shift
	env DANEROLL_LIVE=1 LIVE_RESOLVER=192.0.2.1 "$@" \
		ip netns exec "$NS" "$live" "$mode" 2>&1
}
# case NAME MODE VAR=value...: one test case, judged by the driver.
case_() {
	name=$1; shift
	out=$(live "$@"); rc=$?
	if [ $rc -eq 0 ] && echo "$out" | grep -q '^[0-9]* passed, 0 failed'; then
		ok "$name"
	else
		not_ok "$name" "$out"
	fi
}
nsupdate_() { # zone, then update lines on stdin
	{ echo "server 192.0.2.1"; echo "zone $1"; cat; echo send; } |
		nsx nsupdate -k "$T/update.key"
}
all_match() { # VAR=value...: the report says all_match 1
	live report "$@" | grep -q '^all_match 1$'
}

OWNER=_25._tcp.mx1.example.
ALL4="192.0.2.1=match 2001:db8::1=match 192.0.2.2=match 2001:db8::2=match"

# --- first contact: nothing published, nothing wanted
case_ "first contact: no TLSA anywhere is a match, neg_ttl = min(SOA TTL, minimum)" \
	observe LIVE_OWNER=$OWNER LIVE_WANT= LIVE_EXPECT_ALL_MATCH=1 \
	LIVE_EXPECT_NSERVERS=4 LIVE_EXPECT="$ALL4" LIVE_EXPECT_ANY_TLSA=0 \
	LIVE_EXPECT_NEG_TTL=60 LIVE_EXPECT_SERIALS=1

# --- lagging secondary: lag.example. has no NOTIFY, 30 s refresh
printf 'update delete _25._tcp.mx.lag.example. TLSA\nupdate add _25._tcp.mx.lag.example. 60 TLSA 3 1 1 %s\n' \
	"$H2" | nsupdate_ lag.example. >"$T/nsupdate-lag.log" 2>&1 ||
	not_ok "nsupdate lag.example." "$(cat "$T/nsupdate-lag.log")"
LAG_T0=$(date +%s)
poll 5 sh -c "[ \"\$(ip netns exec $NS dig +norec +short @192.0.2.1 _25._tcp.mx.lag.example. TLSA | tr -d ' ' | tr A-F a-f)\" = 311$H2 ]"
case_ "lagging secondary: STALE at ns2 while the primary matches" \
	observe LIVE_OWNER=_25._tcp.mx.lag.example. LIVE_WANT="3 1 1 $H2" \
	LIVE_EXPECT_ALL_MATCH=0 \
	LIVE_EXPECT="192.0.2.1=match 2001:db8::1=match 192.0.2.2=stale 2001:db8::2=stale" \
	LIVE_EXPECT_ANY_TLSA=1 LIVE_EXPECT_SERIALS=1 \
	"LIVE_EXPECT_LOG=at 192.0.2.2 (ns2.example.): stale|at 2001:db8::2 (ns2.example.): stale"

# --- PowerDNS publisher while the secondary lags
PD="LIVE_PDNS_URL=http://192.0.2.4:8081 LIVE_PDNS_KEY_FILE=$P/api-key"
POWNER=_25._tcp.mx.pdns.test.
# shellcheck disable=SC2086
case_ "pdns: add (zone found by listing)" publish $PD LIVE_OWNER=$POWNER \
	LIVE_WANT="3 1 1 $H1" LIVE_TTL=60
got=$(tlsa_at 192.0.2.4 $POWNER)
[ "$got" = "311$H1" ] && ok "pdns: dig sees the added record" ||
	not_ok "pdns: dig sees the added record" "got: $got"
# shellcheck disable=SC2086
case_ "pdns: observer sees the signed RRset at every pdns address" observe \
	LIVE_RESOLVER=192.0.2.4 LIVE_OWNER=$POWNER LIVE_WANT="3 1 1 $H1" \
	LIVE_EXPECT_ALL_MATCH=1 LIVE_EXPECT="192.0.2.4=match 2001:db8::4=match" \
	LIVE_EXPECT_SERVED_TTL=60
# shellcheck disable=SC2086
case_ "pdns: replace (zone configured)" publish $PD LIVE_PDNS_ZONE=pdns.test \
	LIVE_OWNER=$POWNER LIVE_WANT="3 1 1 $H2;3 1 1 $H3" LIVE_TTL=120
got=$(tlsa_at 192.0.2.4 $POWNER | tr '\n' ' ')
[ "$got" = "311$H2 311$H3 " ] && ok "pdns: dig sees exactly the new RRset" ||
	not_ok "pdns: dig sees exactly the new RRset" "got: $got"
ttl=$(nsx dig +norec +noall +answer @192.0.2.4 $POWNER TLSA | awk 'NR==1 { print $2 }')
[ "$ttl" = 120 ] && ok "pdns: TTL as published" || not_ok "pdns: TTL as published" "got: $ttl"
# shellcheck disable=SC2086
case_ "pdns: the same replace again is idempotent" publish $PD \
	LIVE_PDNS_ZONE=pdns.test LIVE_OWNER=$POWNER \
	LIVE_WANT="3 1 1 $H2;3 1 1 $H3" LIVE_TTL=120
# shellcheck disable=SC2086
case_ "pdns: delete" publish $PD LIVE_OWNER=$POWNER LIVE_WANT= LIVE_TTL=60
got=$(tlsa_at 192.0.2.4 $POWNER)
rc=$(nsx dig +norec @192.0.2.4 $POWNER TLSA | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
[ -z "$got" ] && ok "pdns: dig sees no TLSA after delete ($rc)" ||
	not_ok "pdns: dig sees no TLSA after delete" "got: $got"
case_ "pdns: wrong API key is a clear PERMFAIL" publish \
	LIVE_PDNS_URL=http://192.0.2.4:8081 LIVE_PDNS_KEY_FILE="$P/wrong-key" \
	LIVE_OWNER=$POWNER LIVE_WANT="3 1 1 $H1" LIVE_EXPECT_OUTCOME=permfail \
	"LIVE_EXPECT_LOG=API key rejected (HTTP 401)"
# shellcheck disable=SC2086
case_ "pdns: unknown zone is a 404 PERMFAIL naming it" publish $PD \
	LIVE_PDNS_ZONE=nosuch.test LIVE_OWNER=_25._tcp.mx.nosuch.test. \
	LIVE_WANT="3 1 1 $H1" LIVE_EXPECT_OUTCOME=permfail \
	"LIVE_EXPECT_LOG=zone/server not found (HTTP 404)|nosuch.test"
# shellcheck disable=SC2086
case_ "pdns: unknown server id is a 404 PERMFAIL" publish $PD \
	LIVE_PDNS_SERVER_ID=nosuchserver LIVE_PDNS_ZONE=pdns.test \
	LIVE_OWNER=$POWNER LIVE_WANT="3 1 1 $H1" LIVE_EXPECT_OUTCOME=permfail \
	"LIVE_EXPECT_LOG=zone/server not found (HTTP 404)"

# --- back to the lagging secondary: it must catch up by itself
if poll 45 all_match LIVE_OWNER=_25._tcp.mx.lag.example. LIVE_WANT="3 1 1 $H2"; then
	ok "lagging secondary caught up after $(($(date +%s) - LAG_T0)) s (refresh 30 s)"
else
	not_ok "lagging secondary caught up within 45 s" \
		"$(live report LIVE_OWNER=_25._tcp.mx.lag.example. LIVE_WANT="3 1 1 $H2")"
fi
case_ "lagging secondary: MATCH everywhere, same serial" \
	observe LIVE_OWNER=_25._tcp.mx.lag.example. LIVE_WANT="3 1 1 $H2" \
	LIVE_EXPECT_ALL_MATCH=1 \
	LIVE_EXPECT="192.0.2.1=match 2001:db8::1=match 192.0.2.2=match 2001:db8::2=match" \
	LIVE_EXPECT_SERIALS=1 LIVE_EXPECT_SAME_SERIAL=1

# --- NOTIFY: every address matches shortly after an nsupdate
printf 'update add %s 60 TLSA 3 1 1 %s\nupdate add %s 60 TLSA 3 1 1 %s\n' \
	$OWNER "$H1" $OWNER "$H2" | nsupdate_ example. >"$T/nsupdate.log" 2>&1 ||
	not_ok "nsupdate example." "$(cat "$T/nsupdate.log")"
T0=$(date +%s)
if poll 10 all_match LIVE_OWNER=$OWNER LIVE_WANT="3 1 1 $H1;3 1 1 $H2"; then
	ok "after nsupdate, all four addresses match within $(($(date +%s) - T0)) s (NOTIFY)"
else
	not_ok "after nsupdate, all four addresses match within 10 s" \
		"$(live report LIVE_OWNER=$OWNER LIVE_WANT="3 1 1 $H1;3 1 1 $H2")"
fi
case_ "all addresses match: signed RRset, serials, served RRset and TTL" \
	observe LIVE_OWNER=$OWNER LIVE_WANT="3 1 1 $H1;3 1 1 $H2" \
	LIVE_EXPECT_ALL_MATCH=1 LIVE_EXPECT_NSERVERS=4 LIVE_EXPECT="$ALL4" \
	LIVE_EXPECT_SERIALS=1 LIVE_EXPECT_SAME_SERIAL=1 LIVE_EXPECT_ANY_TLSA=1 \
	LIVE_EXPECT_SERVED="3 1 1 $H1;3 1 1 $H2" LIVE_EXPECT_SERVED_TTL=60 \
	LIVE_EXPECT_MS=2000
case_ "first contact with records: served and any_tlsa reported" \
	observe LIVE_OWNER=$OWNER LIVE_WANT= LIVE_EXPECT_ALL_MATCH=0 \
	LIVE_EXPECT_ANY_TLSA=1 LIVE_EXPECT_SERVED="3 1 1 $H1;3 1 1 $H2" \
	LIVE_EXPECT="192.0.2.1=stale 192.0.2.2=stale"
case_ "a wrong wanted RRset is STALE everywhere" \
	observe LIVE_OWNER=$OWNER LIVE_WANT="3 1 1 $H1" LIVE_EXPECT_ALL_MATCH=0 \
	LIVE_EXPECT="192.0.2.1=stale 2001:db8::1=stale 192.0.2.2=stale 2001:db8::2=stale"

# --- an IPv6 server this host has no route to
case_ "unroutable IPv6 extra server: UNREACHABLE, named, blocks all_match" \
	observe LIVE_OWNER=$OWNER LIVE_WANT="3 1 1 $H1;3 1 1 $H2" \
	LIVE_EXTRA="2001:db8:ffff::9" LIVE_EXPECT_ALL_MATCH=0 \
	LIVE_EXPECT_NSERVERS=5 LIVE_EXPECT="2001:db8:ffff::9=unreachable" \
	"LIVE_EXPECT_LOG=at 2001:db8:ffff::9 (extra): unreachable|no IPv6 route from this host"
case_ "unroutable IPv6 ignored only with ignore_unreachable_ipv6, and said so" \
	observe LIVE_OWNER=$OWNER LIVE_WANT="3 1 1 $H1;3 1 1 $H2" \
	LIVE_EXTRA="2001:db8:ffff::9" LIVE_IGNORE_V6=1 LIVE_EXPECT_ALL_MATCH=1 \
	LIVE_EXPECT="2001:db8:ffff::9=unreachable" \
	"LIVE_EXPECT_LOG=2001:db8:ffff::9 (extra) does not count: ignore_unreachable_ipv6 is set"
case_ "an unroutable IPv4 extra server is never ignored" \
	observe LIVE_OWNER=$OWNER LIVE_WANT="3 1 1 $H1;3 1 1 $H2" \
	LIVE_EXTRA="198.51.100.9" LIVE_IGNORE_V6=1 LIVE_EXPECT_ALL_MATCH=0 \
	LIVE_EXPECT="198.51.100.9=unreachable"

# --- the secondary stops
kill "$NS2_PID"
poll 10 sh -c "! kill -0 $NS2_PID"
case_ "secondary stopped: its addresses UNREACHABLE and named, all_match 0" \
	observe LIVE_OWNER=$OWNER LIVE_WANT="3 1 1 $H1;3 1 1 $H2" \
	LIVE_EXPECT_ALL_MATCH=0 LIVE_EXPECT_NSERVERS=4 \
	LIVE_EXPECT="192.0.2.1=match 2001:db8::1=match 192.0.2.2=unreachable 2001:db8::2=unreachable" \
	"LIVE_EXPECT_LOG=at 192.0.2.2 (ns2.example.): unreachable|at 2001:db8::2 (ns2.example.): unreachable" \
	LIVE_EXPECT_MS=2000
case_ "no resolver: TEMPFAIL, not a verdict" \
	observe LIVE_RESOLVER=192.0.2.2 LIVE_OWNER=$OWNER LIVE_WANT="3 1 1 $H1" \
	LIVE_EXPECT_OUTCOME=tempfail "LIVE_EXPECT_LOG=resolver 192.0.2.2"

echo "# took $(($(date +%s) - START)) s"
summary
