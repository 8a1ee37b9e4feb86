#!/bin/bash
# Smoke test of the test world (tests/world/): brings it up, checks that
# every component really works, tears it down and checks that nothing is
# left. Prints "ok - ..." / "not ok - ..." lines and, last, exactly one
# "N passed, N failed, N skipped" line. Exit 0 only when nothing failed.
#
# Needs root and "ip netns"; without them the whole test is one skip.
# Uses its own namespace and directory (drsmoke, /tmp/daneroll-world-smoke)
# so that it never touches a world somebody else has up; override with
# WORLD_NS / WORLD_DIR. WORLD_SMOKE_LAGGING=1 adds a second bring-up with
# --lagging-secondary (about 35 s more).
# tests/run.sh runs integration scripts with sh: this one needs bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
W=$TOP/tests/world

PASS=0 FAIL=0 SKIP=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
notok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
skip() { SKIP=$((SKIP + 1)); echo "ok - $* # skip"; }
summary() { echo "$PASS passed, $FAIL failed, $SKIP skipped"; }

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1 ||
	! ip netns list >/dev/null 2>&1; then
	echo "ok - test world # skip: needs root and ip netns"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi

export WORLD_NS=${WORLD_NS:-drsmoke}
export WORLD_DIR=${WORLD_DIR:-/tmp/daneroll-world-smoke}
export WORLD_QUIET=1
# shellcheck source=tests/world/lib.sh
. "$W/lib.sh"

SCRATCH=$(mktemp -d /tmp/world-smoke.XXXXXX)
LOG=$SCRATCH/last.log
TORN_DOWN=0
cleanup() {
	[ "$TORN_DOWN" = 1 ] || bash "$W/down.sh" >/dev/null 2>&1
	rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# check DESCRIPTION CMD...: one test; CMD's output goes to $LOG and its
# tail is shown (as "#" comments) when it fails.
check() {
	local what=$1
	shift
	if "$@" >"$LOG" 2>&1; then
		ok "$what"
	else
		notok "$what"
		tail -n 6 "$LOG" | sed 's/^/#   /'
	fi
}

# poll SECONDS CMD...: retry CMD every 0.2 s for at most SECONDS.
poll() {
	local limit=$(($1 * 5)) i=0
	shift
	while [ "$i" -lt "$limit" ]; do
		"$@" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	"$@"
}

digq() { nsx dig +time=2 +tries=2 "$@"; }

# ------------------------------------------------------------ dependencies
if ! sh "$TOP/tests/deps.sh" world >"$LOG" 2>&1; then
	notok "world packages installed (tests/deps.sh world)"
	sed 's/^/#   /' "$LOG"
	summary
	exit 1
fi

# ------------------------------------------------------------ bring-up
t0=$(now_ms)
if bash "$W/up.sh" >"$LOG" 2>&1; then
	t1=$(now_ms)
	ok "up.sh brings the world up ($(((t1 - t0) / 1000)).$(printf %03d $(((t1 - t0) % 1000))) s)"
else
	notok "up.sh brings the world up"
	tail -n 30 "$LOG" | sed 's/^/#   /'
	summary
	exit 1
fi
# shellcheck source=/dev/null
. "$WORLD_DIR/env"

secret_modes() {
	local f
	for f in "$TSIG_KEY_FILE" "$TSIG_ADMIN_KEY_FILE" "$KNOT_TSIG_KEY_FILE" \
		"$PDNS_API_KEY_FILE" "$PDNS_API_HEADER_FILE" "$MX1_RSA_CHAIN" \
		"$MX1_ECDSA_CHAIN" "$MX2_RSA_CHAIN" "$WORLD_CA_KEY"; do
		[ "$(stat -c %a "$f")" = 600 ] || { echo "$f is not 0600"; return 1; }
	done
}
check "secret files (TSIG keys, API key, private keys) are mode 0600" secret_modes
check "namespace resolv.conf points at unbound with trust-ad" \
	grep -q "^options.*trust-ad" "$RESOLV_CONF"

# ------------------------------------------------------------ DNSSEC
# ad_soa SERVER ZONE: a validated (AD) answer for the zone's SOA.
ad_soa() {
	digq +dnssec @"$1" "$2" SOA >"$SCRATCH/dig" || return 1
	cat "$SCRATCH/dig"
	grep -q 'flags:[^;]* ad[ ;]' "$SCRATCH/dig" && grep -q 'IN[[:space:]]*RRSIG' "$SCRATCH/dig"
}
for z in . "$ZONE_BIND" "$ZONE_KNOT" "$ZONE_PDNS"; do
	check "unbound validates SOA $z (AD set, RRSIG)" ad_soa "$RESOLVER_V4" "$z"
done
check "unbound answers on IPv6 too, validated" ad_soa "$RESOLVER_V6" "$ZONE_BIND"
cname_ad() {
	digq +dnssec @"$RESOLVER_V4" "$MX2_ALIAS" A >"$SCRATCH/dig" || return 1
	cat "$SCRATCH/dig"
	grep -q 'flags:[^;]* ad[ ;]' "$SCRATCH/dig" &&
		grep -q "CNAME[[:space:]]*$MX2_NAME" "$SCRATCH/dig" &&
		grep -q "A[[:space:]]*$MX2_V4" "$SCRATCH/dig"
}
check "$MX2_ALIAS is a validated CNAME to $MX2_NAME" cname_ad
mx_rrset() {
	digq +short @"$RESOLVER_V4" "$ZONE_BIND" MX | sort | tr '\n' ' ' | tee /dev/stderr |
		grep -q "10 $MX1_NAME 20 $MX2_ALIAS"
}
check "MX of $ZONE_BIND: $MX1_NAME and $MX2_ALIAS" mx_rrset
glibc_ad() {
	# The glibc path (what posttls-finger uses): name resolves in the ns.
	nsx getent ahosts "${ACME_NAME%.}" | grep -q "$ACME_V4"
}
check "glibc in the namespace resolves through unbound" glibc_ad

# ------------------------------------------------------------ RFC 2136, BIND
hex64() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# has_tlsa SERVER NAME HEX: SERVER serves a TLSA at NAME with data HEX.
has_tlsa() {
	digq +norec +short @"$1" "$2" TLSA 2>/dev/null | tr -d ' ' | tr A-F a-f | grep -q "$3"
}
# served_everywhere NAME HEX SERVERS...
served_everywhere() {
	local n=$1 h=$2 s
	shift 2
	for s in "$@"; do has_tlsa "$s" "$n" "$h" || { echo "not yet on $s"; return 1; }; done
}
T1=$(hex64)
nsupd_bind() {
	printf 'server %s\nzone %s\nupdate add _25._tcp.smoke.%s %s IN TLSA 3 1 1 %s\nsend\n' \
		"$NS1_V4" "$ZONE_BIND" "$ZONE_BIND" "$WORLD_TTL" "$T1" |
		nsx nsupdate -k "$TSIG_KEY_FILE"
}
check "nsupdate (TSIG $TSIG_KEY_NAME) adds a TLSA record at the primary" nsupd_bind
check "the TLSA record reaches the secondary (v4+v6) via NOTIFY" \
	poll 15 served_everywhere "_25._tcp.smoke.$ZONE_BIND" "$T1" \
	"$NS1_V4" "$NS1_V6" "$NS2_V4" "$NS2_V6"
refused_txt() {
	! printf 'server %s\nzone %s\nupdate add smoke.%s 5 IN TXT "no"\nsend\n' \
		"$NS1_V4" "$ZONE_BIND" "$ZONE_BIND" | nsx nsupdate -k "$TSIG_KEY_FILE"
}
check "the daneroll key may not change other types (TXT refused)" refused_txt
refused_nokey() {
	! printf 'server %s\nzone %s\nupdate add _25._tcp.x.%s 5 IN TLSA 3 1 1 %s\nsend\n' \
		"$NS1_V4" "$ZONE_BIND" "$ZONE_BIND" "$T1" | nsx nsupdate
}
check "an unsigned update is refused" refused_nokey

# ------------------------------------------------------------ cold resolver
check "the cold prober's unbound validates SOA $ZONE_BIND (v4 and v6)" \
	eval 'ad_soa "$COLD_V4" "$ZONE_BIND" && ad_soa "$COLD_V6" "$ZONE_BIND"'
# tlsa_via RESOLVER NAME: the TLSA data RESOLVER answers, normalised.
tlsa_via() { digq +short @"$1" "$2" TLSA | tr -d ' ' | tr A-F a-f; }
# A change at the servers: both resolvers still hold the old record (TTL
# 30 s), but the cold prober's lookup, which empties the cold resolver's
# cache first, sees the new one at once. Fails if the flush does nothing.
cold_is_cold() {
	local host owner t5 t6
	t5=$(hex64)
	t6=$(hex64)
	# A name no resolver was ever asked about.
	host=cold${t5:0:8}.${ZONE_BIND%.}
	owner=_25._tcp.$host.
	printf 'server %s\nzone %s\nupdate add %s 30 IN TLSA 3 1 1 %s\nsend\n' \
		"$NS1_V4" "$ZONE_BIND" "$owner" "$t5" | nsx nsupdate -k "$TSIG_KEY_FILE" &&
		poll 15 served_everywhere "$owner" "$t5" "$NS1_V4" "$NS1_V6" "$NS2_V4" "$NS2_V6" ||
		return 1
	tlsa_via "$RESOLVER_V4" "$owner" | grep -q "$t5" &&
		tlsa_via "$COLD_V4" "$owner" | grep -q "$t5" || { echo "no first answer"; return 1; }
	printf 'server %s\nzone %s\nupdate delete %s TLSA\nupdate add %s 30 IN TLSA 3 1 1 %s\nsend\n' \
		"$NS1_V4" "$ZONE_BIND" "$owner" "$owner" "$t6" | nsx nsupdate -k "$TSIG_KEY_FILE" &&
		poll 15 served_everywhere "$owner" "$t6" "$NS1_V4" "$NS1_V6" "$NS2_V4" "$NS2_V6" ||
		return 1
	tlsa_via "$COLD_V4" "$owner" | grep -q "$t5" ||
		{ echo "the cold unbound did not cache the old record: nothing to show"; return 1; }
	tlsa_via "$RESOLVER_V4" "$owner" | grep -q "$t5" || { echo "the warm unbound lost it"; return 1; }
	nsx bash "$W/prober.sh" --cold "$COLD_V4" "$COLD_UNBOUND_CONF" --lookup \
		"$host" >"$SCRATCH/cold" || return 1
	cat "$SCRATCH/cold"
	tr -d ' \t' <"$SCRATCH/cold" | tr "[:upper:]" "[:lower:]" | grep -q "tlsa311$t6" &&
		! tr -d ' ' <"$SCRATCH/cold" | tr A-F a-f | grep -q "$t5" &&
		grep -q 'flags:[^;]* ad[ ;]' "$SCRATCH/cold"
}
check "the cold prober sees a changed TLSA at once, validated, while caches hold the old one" cold_is_cold

# ------------------------------------------------------------ Knot
T2=$(hex64)
nsupd_knot() {
	printf 'server %s\nzone %s\nupdate add _25._tcp.%s %s IN TLSA 3 1 1 %s\nsend\n' \
		"$KNOT_V6" "$ZONE_KNOT" "$MX1_KNOT_NAME" "$WORLD_TTL" "$T2" |
		nsx nsupdate -k "$KNOT_TSIG_KEY_FILE"
}
check "Knot accepts a TSIG update ($KNOT_TSIG_KEY_NAME) over IPv6" nsupd_knot
check "Knot serves the new TLSA on v4 and v6" \
	poll 10 served_everywhere "_25._tcp.$MX1_KNOT_NAME" "$T2" "$KNOT_V4" "$KNOT_V6"
tlsa_ad() {
	digq +dnssec @"$RESOLVER_V4" "$1" TLSA >"$SCRATCH/dig" || return 1
	grep -q 'flags:[^;]* ad[ ;]' "$SCRATCH/dig" &&
		tr -d ' ' <"$SCRATCH/dig" | tr A-F a-f | grep -q "$2" || { cat "$SCRATCH/dig"; return 1; }
}
check "the Knot TLSA validates through unbound" poll 10 tlsa_ad "_25._tcp.$MX1_KNOT_NAME" "$T2"

# ------------------------------------------------------------ PowerDNS
T3=$(hex64)
pdns_patch() {
	local code
	printf '{"rrsets":[{"name":"_25._tcp.%s","type":"TLSA","ttl":%s,"changetype":"REPLACE","records":[{"content":"3 1 1 %s","disabled":false}]}]}' \
		"$MX1_PDNS_NAME" "$WORLD_TTL" "$T3" >"$SCRATCH/patch.json"
	code=$(nsx curl -sS -o "$SCRATCH/resp" -w '%{http_code}' -X PATCH \
		-H @"$PDNS_API_HEADER_FILE" -H 'Content-Type: application/json' \
		--data @"$SCRATCH/patch.json" \
		"$PDNS_API_URL/servers/$PDNS_SERVER_ID/zones/$ZONE_PDNS") || return 1
	echo "HTTP $code"; cat "$SCRATCH/resp"
	[ "$code" = 204 ]
}
check "PowerDNS API PATCH adds a TLSA rrset (key from a header file)" pdns_patch
check "PowerDNS serves it on v4 and v6" \
	poll 10 served_everywhere "_25._tcp.$MX1_PDNS_NAME" "$T3" "$PDNS_V4" "$PDNS_V6"
check "the PowerDNS TLSA validates through unbound" poll 10 tlsa_ad "_25._tcp.$MX1_PDNS_NAME" "$T3"
pdns_nokey() {
	local code
	code=$(nsx curl -s -o /dev/null -w '%{http_code}' "$PDNS_API_URL/servers/$PDNS_SERVER_ID/zones")
	echo "HTTP $code"
	[ "$code" = 401 ]
}
check "the PowerDNS API refuses a request without the key" pdns_nokey

# ------------------------------------------------------------ STARTTLS
# spki FILE: the 3 1 1 digest of a private key or certificate.
spki_key() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -r | cut -d' ' -f1; }
spki_cert() { openssl x509 -pubkey -noout 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | openssl dgst -sha256 -r | cut -d' ' -f1; }
MX1_RSA=$(spki_key "$WORLD_DIR/mx1/rsa2048.key")
MX1_EC=$(spki_key "$WORLD_DIR/mx1/ecdsa-p256.key")
MX2_RSA=$(spki_key "$WORLD_DIR/mx2/rsa2048.key")
SIG_RSA=rsa_pss_rsae_sha256:rsa_pkcs1_sha256
SIG_EC=ecdsa_secp256r1_sha256
# starttls ADDR SIGALGS EXPECTED_SPKI: STARTTLS handshake; the presented
# leaf has the expected key and its chain verifies to the world CA.
starttls() {
	local hp=$1:25
	case $1 in *:*) hp="[$1]:25" ;; esac
	nsx timeout 10 openssl s_client -starttls smtp -connect "$hp" -sigalgs "$2" \
		-CAfile "$WORLD_CA_FILE" -verify_return_error -showcerts \
		</dev/null >"$SCRATCH/tls" 2>&1
	grep -E 'Verify return code|Peer signature type' "$SCRATCH/tls"
	grep -q 'Verify return code: 0 (ok)' "$SCRATCH/tls" || return 1
	[ "$(sed -n '/BEGIN CERT/,/END CERT/{p;/END CERT/q}' "$SCRATCH/tls" | spki_cert)" = "$3" ]
}
check "STARTTLS mx1 $MX1_V4 RSA-2048 chain" starttls "$MX1_V4" "$SIG_RSA" "$MX1_RSA"
check "STARTTLS mx1 $MX1_V4 ECDSA P-256 chain" starttls "$MX1_V4" "$SIG_EC" "$MX1_EC"
check "STARTTLS mx1 $MX1_V6 RSA-2048 chain" starttls "$MX1_V6" "$SIG_RSA" "$MX1_RSA"
check "STARTTLS mx1 $MX1_V6 ECDSA P-256 chain" starttls "$MX1_V6" "$SIG_EC" "$MX1_EC"
check "STARTTLS mx2 $MX2_V4 RSA-2048 chain" starttls "$MX2_V4" "$SIG_RSA" "$MX2_RSA"
check "STARTTLS mx2 $MX2_V6 RSA-2048 chain" starttls "$MX2_V6" "$SIG_RSA" "$MX2_RSA"

# ------------------------------------------------------------ DANE judges
publish_dane() {
	{
		printf 'server %s\nzone %s\n' "$NS1_V4" "$ZONE_BIND"
		printf 'update delete _25._tcp.%s TLSA\n' "$MX1_NAME" "$MX2_NAME"
		printf 'update add _25._tcp.%s %s IN TLSA 3 1 1 %s\n' \
			"$MX1_NAME" "$WORLD_TTL" "$MX1_RSA" \
			"$MX1_NAME" "$WORLD_TTL" "$MX1_EC" \
			"$MX2_NAME" "$WORLD_TTL" "$MX2_RSA"
		printf 'send\n'
	} | nsx nsupdate -k "$TSIG_KEY_FILE" || return 1
	poll 15 served_everywhere "_25._tcp.$MX1_NAME" "$MX1_EC" \
		"$NS1_V4" "$NS1_V6" "$NS2_V4" "$NS2_V6" &&
		poll 15 served_everywhere "_25._tcp.$MX2_NAME" "$MX2_RSA" \
			"$NS1_V4" "$NS1_V6" "$NS2_V4" "$NS2_V6" || return 1
	# Past the TTL (and the negative TTL): no resolver holds an old answer.
	sleep $((WORLD_TTL + 1))
}
check "3 1 1 TLSA for mx1 (RSA+ECDSA) and mx2 published on all servers" publish_dane
# dane_ok FAMILY DEST: posttls-finger authenticates DEST with DANE only.
dane_ok() {
	MAIL_CONFIG=$POSTTLS_MAIL_CONFIG nsx timeout 30 posttls-finger -c -l dane-only \
		-a "$1" "$2" >"$SCRATCH/ptf" 2>&1
	cat "$SCRATCH/ptf"
	grep -q 'Verified TLS connection established' "$SCRATCH/ptf"
}
check "posttls-finger: DANE-verified [${MX1_NAME%.}]:25 over IPv4" dane_ok ipv4 "[${MX1_NAME%.}]:25"
check "posttls-finger: DANE-verified [${MX1_NAME%.}]:25 over IPv6" dane_ok ipv6 "[${MX1_NAME%.}]:25"
check "posttls-finger: DANE-verified [${MX2_ALIAS%.}]:25 (CNAME) over IPv6" dane_ok ipv6 "[${MX2_ALIAS%.}]:25"
check "posttls-finger: DANE-verified MX lookup of ${ZONE_BIND%.}" dane_ok ipv4 "${ZONE_BIND%.}"
dane_mismatch() {
	! dane_ok ipv4 "[${MX1_KNOT_NAME%.}]:25" &&
		grep -q 'no matching DANE TLSA records' "$SCRATCH/ptf"
}
check "posttls-finger refuses mx1 under a name whose TLSA does not match" dane_mismatch
# ldns_dane ADDR SIGALGS: fetch the chain with openssl, judge it with
# ldns-dane (TLSA chased from our trust anchor).
ldns_dane() {
	nsx timeout 10 openssl s_client -starttls smtp -connect "$1:25" -sigalgs "$2" \
		-showcerts </dev/null 2>/dev/null | sed -n '/BEGIN CERT/,/END CERT/p' >"$SCRATCH/chain.pem"
	nsx ldns-dane -S -k "$TRUST_ANCHOR_FILE" -c "$SCRATCH/chain.pem" verify "${MX1_NAME%.}" 25
}
check "ldns-dane validates mx1's RSA chain" ldns_dane "$MX1_V4" "$SIG_RSA"
check "ldns-dane validates mx1's ECDSA chain" ldns_dane "$MX1_V4" "$SIG_EC"

# ------------------------------------------------------------ Postfix control
reload_keeps() {
	local before after
	before=$(cat "$WORLD_DIR/pids/mx1.pid")
	# shellcheck disable=SC2086 # MX1_RELOAD_CMD is an argument vector
	$MX1_RELOAD_CMD || return 1
	after=$(cat "$WORLD_DIR/pids/mx1.pid")
	[ "$before" = "$after" ] && pid_in_world "$after" &&
		poll 5 starttls "$MX1_V6" "$SIG_EC" "$MX1_EC"
}
check "mx1 reload (\$MX1_RELOAD_CMD) keeps the master and still serves TLS" reload_keeps
mx2_cycle() {
	bash "$W/postfix.sh" mx2 stop || return 1
	! banner "$MX2_V4" || { echo "still answering after stop"; return 1; }
	bash "$W/postfix.sh" mx2 start && starttls "$MX2_V4" "$SIG_RSA" "$MX2_RSA"
}
check "postfix.sh mx2 stop / start" mx2_cycle

# ------------------------------------------------------------ secondary faults
T4=$(hex64)
secondary_cycle() {
	bash "$W/secondary.sh" stop || return 1
	digq +norec @"$NS2_V4" "$ZONE_BIND" SOA >/dev/null 2>&1 && { echo "ns2 still answers"; return 1; }
	printf 'server %s\nzone %s\nupdate add _25._tcp.down.%s %s IN TLSA 3 1 1 %s\nsend\n' \
		"$NS1_V4" "$ZONE_BIND" "$ZONE_BIND" "$WORLD_TTL" "$T4" |
		nsx nsupdate -k "$TSIG_KEY_FILE" || return 1
	bash "$W/secondary.sh" start || return 1
	poll 15 served_everywhere "_25._tcp.down.$ZONE_BIND" "$T4" "$NS2_V4" "$NS2_V6"
}
check "secondary.sh stop / start: ns2 goes silent, then catches up" secondary_cycle

# ------------------------------------------------------------ ACME
pebble_dir() {
	nsx curl -sS --max-time 10 --cacert "$PEBBLE_TLS_CA_FILE" "$PEBBLE_DIRECTORY_URL" |
		tee /dev/stderr | grep -q newAccount
}
check "pebble directory over HTTPS with the world CA ($PEBBLE_DIRECTORY_URL)" pebble_dir
pebble_by_name() {
	nsx curl -sS --max-time 10 --cacert "$PEBBLE_TLS_CA_FILE" \
		"https://${ACME_NAME%.}:$PEBBLE_PORT/dir" | grep -q newOrder
}
check "pebble reachable by name ${ACME_NAME%.} (DNS in the namespace)" pebble_by_name
check "pebble's issuing root fetched into \$PEBBLE_CA_FILE" \
	openssl x509 -in "$PEBBLE_CA_FILE" -noout -subject

# ------------------------------------------------------------ lagging secondary
if [ "${WORLD_SMOKE_LAGGING:-0}" = 1 ]; then
	lagging() {
		local t5 t=0
		bash "$W/up.sh" --only dns --lagging-secondary || return 1
		t5=$(hex64)
		printf 'server %s\nzone %s\nupdate add _25._tcp.lag.%s %s IN TLSA 3 1 1 %s\nsend\n' \
			"$NS1_V4" "$ZONE_BIND" "$ZONE_BIND" "$WORLD_TTL" "$t5" |
			nsx nsupdate -k "$TSIG_KEY_FILE" || return 1
		# Not on the secondary for a while (no NOTIFY)...
		sleep 3
		has_tlsa "$NS2_V4" "_25._tcp.lag.$ZONE_BIND" "$t5" && { echo "secondary did not lag"; return 1; }
		# ...but within the 30 s refresh (+ jitter, + a margin).
		while [ "$t" -lt 40 ]; do
			has_tlsa "$NS2_V4" "_25._tcp.lag.$ZONE_BIND" "$t5" && { echo "caught up after ~$((t + 3)) s"; return 0; }
			sleep 1
			t=$((t + 1))
		done
		return 1
	}
	check "--lagging-secondary: ns2 lags, then catches up by refresh" lagging
else
	skip "--lagging-secondary (set WORLD_SMOKE_LAGGING=1)"
fi

# ------------------------------------------------------------ teardown
t0=$(now_ms)
if bash "$W/down.sh" >"$LOG" 2>&1; then
	t1=$(now_ms)
	TORN_DOWN=1
	ok "down.sh tears the world down ($(((t1 - t0) / 1000)).$(printf %03d $(((t1 - t0) % 1000))) s)"
else
	notok "down.sh tears the world down"
	sed 's/^/#   /' "$LOG"
fi
nothing_left() {
	local left
	left=$(pgrep -f "$WORLD_DIR" || true)
	[ -z "$left" ] || { echo "processes left: $left"; return 1; }
	! ns_exists || { echo "namespace $WORLD_NS still there"; return 1; }
	[ ! -e "$WORLD_DIR" ] && [ ! -e "/etc/netns/$WORLD_NS" ]
}
check "no process, namespace, /etc/netns entry or directory left" nothing_left
check "down.sh a second time is harmless" bash "$W/down.sh"

summary
[ "$FAIL" -eq 0 ]
