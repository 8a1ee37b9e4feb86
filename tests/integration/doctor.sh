#!/bin/bash
# daneroll doctor against real servers (issue 17 item 2): BIND primary and
# secondary with TSIG, PowerDNS with its API, unbound validating, in the
# namespace world. A healthy setup is all ok (exit 0); then one fault at a
# time, each a failure naming what and where, with its exit status: a
# wrong TSIG secret (the server and key named, no secret shown), a missing
# ACME hook, a private key and a TSIG key readable by others (with the
# chmod that fixes them), a resolver that does not recurse and one that
# does not validate, an unsigned zone, a silent authoritative address.
# config check refuses what the first run would fail on (78, FILE:LINE).
# Throughout, doctor writes nothing: the state database, the key and
# certificate files and the zones' serials are the same after as before.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -u
# shellcheck source=tests/integration/e2elib
. "$(dirname "$0")/e2elib"
e2e_start doctor "daneroll doctor against real servers" pdns_server named unbound
PLAIN_PID=
cleanup_doctor() {
	[ -n "$PLAIN_PID" ] && kill "$PLAIN_PID" 2>/dev/null
	e2e_cleanup
}
trap cleanup_doctor EXIT

# The ACME hook: a program of our own (doctor never runs it: it leaves a
# mark if it is run).
cat >"$D/hook" <<EOF
#!/bin/sh
touch "$D/hook-ran"
EOF
chmod 755 "$D/hook"

# conf [SETTING=VALUE...]: the configuration, with the defaults below
# replaced (TSIG, HOOK, RESOLVER) and HOSTLINES appended to [host].
conf() {
	local TSIG=$TSIG_KEY_FILE HOOK=$D/hook RESOLVER=$RESOLVER_V4 HOSTLINES=
	local kv
	for kv in "$@"; do local "${kv%%=*}=${kv#*=}"; done
	e2e_global | sed -e "s|^tsig_key_file = .*|tsig_key_file = $TSIG|" \
	    -e "s|^resolver = .*|resolver = $RESOLVER|"
	e2e_pdns_publisher
	e2e_mx1 mx1.example bind "alias = mx.pdns.example pdns" \
	    "acme_hook = $HOOK" "$HOSTLINES"
}
setconf() { conf "$@" >"$D/daneroll.conf"; chmod 600 "$D/daneroll.conf"; }

# doc [SETTING=VALUE...]: doctor with that configuration; OUT and RC.
doc() {
	setconf "$@"
	OUT=$(dr doctor 2>&1)
	RC=$?
}
# checkconf [SETTING=VALUE...]: config check with that configuration; OUT
# and RC.
checkconf() {
	setconf "$@"
	OUT=$(dr config check 2>&1)
	RC=$?
}
has() { printf '%s\n' "$OUT" | grep -qF -- "$1"; }
# expect NAME RC LINE...: doctor (or config check) exited RC and said every
# LINE.
expect() {
	local name=$1 rc=$2 l missing=
	shift 2
	for l in "$@"; do has "$l" || missing="$missing [$l]"; done
	if [ "$RC" -eq "$rc" ] && [ -z "$missing" ]; then ok "$name"
	else not_ok "$name" "exit $RC (want $rc); missing:$missing
$OUT"; fi
}

# Secrets that must never show.
secret_of() { sed -n 's/.*secret "\([^"]*\)".*/\1/p' "$1"; }
SECRET=$(secret_of "$TSIG_KEY_FILE")
APIKEY=$(cat "$PDNS_API_KEY_FILE")
no_secret() {
	local s
	for s in "$SECRET" "$APIKEY" "$@"; do
		[ -n "$s" ] && printf '%s\n' "$OUT" | grep -qF -- "$s" && return 1
	done
	return 0
}

# What doctor must not change: the state, the keys and chains, the zones.
serial() { in_ns dig +norec +short +time=2 +tries=1 @"$1" "$2" SOA | awk '{ print $3 }'; }
# (A reader of a database in WAL mode, doctor as status, makes SQLite's
# -shm index and an empty -wal beside it when they are absent; the
# database itself must stay byte for byte the same.)
snapshot() {
	find "$D/state" -type f ! -name '*-shm' ! -name '*-wal' -print0 2>/dev/null |
		sort -z | xargs -0 -r sha256sum
	find "$D/state" -name '*-wal' -size +0 2>/dev/null
	sha256sum "$W"/mx1/*.pem "$TSIG_KEY_FILE" "$PDNS_API_KEY_FILE"
	stat -c '%n %a %s %Y' "$W"/mx1/*.pem
	echo "example. $(serial "$NS1_V4" example.) $(serial "$NS2_V4" example.)"
	echo "pdns.example. $(serial "$PDNS_V4" pdns.example.)"
}

# ---- a first run: the live keys adopted, their records published ----------
checkconf
expect "config check: the healthy configuration" 0
DR_TIMEOUT=60 dr_ts run >/dev/null 2>&1
rc=$?
case $rc in 0|75) ok "a first run publishes (exit $rc)" ;;
*) not_ok "a first run publishes (exit $rc)" "$(tail -n 20 "$LOGDIR/daneroll.log")" ;; esac
# The RRsets are served, and the resolver's negative cache (5 s) is over.
for i in $(seq 1 30); do
	[ -n "$(tlsa_at "$NS2_V4" _25._tcp.mx1.example)" ] &&
	    [ -n "$(tlsa_at "$PDNS_V4" _25._tcp.mx.pdns.example)" ] && break
	sleep 1
done
sleep 6
rm -f "$D/hook-ran"
before=$(snapshot)

# ---- healthy: all ok ---------------------------------------------------
doc
printf '%s\n' "$OUT" >"$LOGDIR/doctor-healthy.out"	# kept with E2E_KEEP_LOGS
expect "healthy: exit 0, every check ok" 0 \
	"ok    global  state_dir $D/state" \
	"ok    mx1.example  acme_hook $D/hook: mode 0755, present and executable" \
	"ok    zone example.  zone example.: 192.0.2.1 (ns1.example.) answers with authority" \
	"ok    zone example.  zone example.: 2001:db8::2 (ns2.example.) answers with authority" \
	"ok    zone example.  resolver $RESOLVER_V4 recurses and validates example. (AD set)" \
	"ok    zone pdns.example.  resolver $RESOLVER_V4 recurses and validates pdns.example." \
	"ok    publisher bind  tsig_key_file $TSIG_KEY_FILE: mode 0600" \
	"accepts key daneroll-bind. for zone example." \
	"ok    publisher pdns  api_key_file $PDNS_API_KEY_FILE: mode 0600" \
	"accepts the key of $PDNS_API_KEY_FILE for zone pdns.example." \
	"ok    mx1.example  rsa2048: the chain in $W/mx1/rsa2048.pem is its key's and matches the TLSA RRset at _25._tcp.mx1.example" \
	"ok    mx1.example  ecdsa-p256: the chain in $W/mx1/ecdsa-p256.pem is its key's and matches the TLSA RRset at _25._tcp.mx.pdns.example" \
	"doctor: "
if printf '%s\n' "$OUT" | grep -qE '^(warn|fail) '; then
	not_ok "healthy: no warning, no failure" "$OUT"
else ok "healthy: no warning, no failure ($(printf '%s\n' "$OUT" | grep -c '^ok ') ok)"; fi
no_secret && ok "healthy: no secret in the output" || not_ok "healthy: no secret in the output"
out=$(dr doctor mx1.example 2>&1); rc=$?
[ $rc -eq 0 ] && ok "doctor HOST: exit 0" || not_ok "doctor HOST: exit 0 (exit $rc)" "$out"
out=$(dr doctor mx9.example 2>&1); rc=$?
if [ $rc -eq 64 ] && printf '%s\n' "$out" | grep -qF "mx9.example: no [host mx9.example] in $D/daneroll.conf"; then
	ok "doctor of an unknown host: exit 64, naming it"
else not_ok "doctor of an unknown host: exit 64, naming it" "exit $rc: $out"; fi

# ---- DNS is read in the network child ---------------------------------
# Its answers are parsed by an unprivileged, sandboxed child (privsep.h);
# the zone's findings are the child's facts, judged here. A zone two owner
# names share is examined once (the child remembers it).
nobody=$(id -u nobody)
out=$(dr -vv doctor mx1.example 2>&1)
if printf '%s\n' "$out" | grep -q "network child [0-9]*: uid $nobody, no_new_privs, Landlock ABI [0-9]*, seccomp filter" &&
    printf '%s\n' "$out" | grep -qF "zone example.: 192.0.2.1 (ns1.example.) answers with authority"; then
	ok "doctor: DNS read by the sandboxed child (uid $nobody), its facts judged"
else not_ok "doctor: DNS read by the sandboxed child" "$out"; fi
doc "HOSTLINES=alias = smtp.example bind"
n=$(printf '%s\n' "$OUT" | grep -cF "zone example.: 192.0.2.1 (ns1.example.) answers with authority")
[ "$n" = 1 ] && ok "a zone met by two owner names is examined once" ||
	not_ok "a zone met by two owner names is examined once ($n times)" "$OUT"

# ---- libcurl cannot be loaded (daneroll opens it on first use) ------------
# A library path that finds something else under libcurl.so.4: not an
# ELF file, then a real library without curl's functions.
mkdir -p "$D/nocurl" "$D/notcurl"
echo 'not a library' >"$D/nocurl/libcurl.so.4"
cp "$(in_ns /sbin/ldconfig -p | awk '/libz\.so\.1 .*x86-64/ { print $NF; exit }')" "$D/notcurl/libcurl.so.4"
for lib in nocurl:'file too short' notcurl:'undefined symbol: curl_global_init'; do
	OUT=$(in_ns env LD_LIBRARY_PATH="$D/${lib%%:*}" "$DR_BIN" -c "$D/daneroll.conf" doctor 2>&1)
	RC=$?
	expect "libcurl.so.4 unloadable ($lib): exit 69, the pdns publisher fails naming the library, the reason and the fix; the bind publisher still proven" 69 \
		"fail  publisher pdns  cannot load libcurl.so.4, which the PowerDNS API needs: $D/${lib%%:*}/libcurl.so.4: ${lib#*:} (install libcurl4)" \
		"accepts key daneroll-bind. for zone example."
done

# ---- a wrong TSIG secret --------------------------------------------------
wrong=$D/wrong.key
sed "s|secret \"[^\"]*\"|secret \"$(head -c 32 /dev/urandom | base64)\"|" \
	"$TSIG_KEY_FILE" >"$wrong"
chmod 600 "$wrong"
WRONG=$(secret_of "$wrong")
doc TSIG="$wrong"
expect "wrong TSIG secret: exit 69, naming server and key" 69 \
	"fail  publisher bind  TSIG-signed SOA query for zone example. (server $NS1_V4#53, key daneroll-bind.): SOA query: the server rejected our TSIG signature (BADSIG)"
no_secret "$WRONG" && ok "wrong TSIG secret: neither secret shown" ||
	not_ok "wrong TSIG secret: neither secret shown" "$OUT"

# ---- a TSIG key readable by others --------------------------------------
open=$D/open.key
cp "$TSIG_KEY_FILE" "$open"
chmod 644 "$open"
doc TSIG="$open"
expect "TSIG key mode 0644: exit 78, with the chmod" 78 \
	"fail  publisher bind  tsig_key_file $open: mode 0644 readable by others (a secret); fix: chmod 0600 $open"
no_secret && ok "TSIG key mode 0644: no secret shown" || not_ok "TSIG key mode 0644: no secret shown" "$OUT"

# ---- config check: what the first run would fail on ----------------------
checkconf TSIG="$D/nonexistent.key"
line=$(grep -n '^tsig_key_file' "$D/daneroll.conf" | cut -d: -f1)
expect "config check: a missing TSIG key file is 78, FILE:LINE and path" 78 \
	"$D/daneroll.conf:$line: publisher bind: tsig_key_file $D/nonexistent.key does not exist"
printf 'key "x" { algorithm hmac-sha256; };\n' >"$D/noparse.key"
chmod 600 "$D/noparse.key"
checkconf TSIG="$D/noparse.key"
expect "config check: a TSIG key file that does not parse is 78, both places named" 78 \
	"$D/daneroll.conf:$line: publisher bind: tsig_key_file $D/noparse.key cannot be used" \
	"error: $D/noparse.key:"
checkconf HOOK="$D/no-such-hook"
line=$(grep -n '^acme_hook' "$D/daneroll.conf" | cut -d: -f1)
expect "config check: a missing acme_hook is 78, FILE:LINE and path" 78 \
	"$D/daneroll.conf:$line: [host mx1.example] acme_hook $D/no-such-hook does not exist"
chmod 644 "$D/hook"
checkconf
expect "config check: an acme_hook that is not executable is 78" 78 \
	"acme_hook $D/hook is not executable"
chmod 755 "$D/hook"

# ---- a missing ACME hook ------------------------------------------------
doc HOOK="$D/no-such-hook"
expect "missing acme_hook: exit 78, naming it and its setting" 78 \
	"fail  mx1.example  acme_hook $D/no-such-hook does not exist; fix: install the program, or correct the setting (set at $D/daneroll.conf:"

# ---- a private key readable by others ------------------------------------
chmod 644 "$W/mx1/ecdsa-p256.pem"
doc
expect "private key mode 0644: exit 78, with the chmod" 78 \
	"fail  mx1.example  ecdsa-p256 key $W/mx1/ecdsa-p256.pem: mode 0644 readable by others (a private key); fix: chmod 0600 $W/mx1/ecdsa-p256.pem"
chmod 600 "$W/mx1/ecdsa-p256.pem"

# ---- a resolver that does not recurse (an authoritative server) ----------
doc RESOLVER="$NS1_V4"
expect "resolver that does not recurse: exit 69" 69 \
	"fail  zone example.  resolver $NS1_V4 does not recurse (RA clear in its answer for example.)"

# ---- a resolver that does not validate -----------------------------------
PLAIN_V4=192.0.2.55
in_ns ip addr add "$PLAIN_V4/32" dev lo 2>/dev/null
mkdir -p "$W/unbound-plain"
cp "$W/unbound/root.hints" "$W/unbound-plain/"
sed -e "s|$W/unbound/|$W/unbound-plain/|g" -e "s|\"$W/unbound\"|\"$W/unbound-plain\"|" \
    -e "s|interface: $RESOLVER_V4|interface: $PLAIN_V4|" \
    -e "/interface: $RESOLVER_V6/d" -e '/trust-anchor-file/d' \
    -e 's|module-config: .*|module-config: "iterator"|' \
    "$W/unbound/unbound.conf" >"$W/unbound-plain/unbound.conf"
in_ns /usr/sbin/unbound -d -c "$W/unbound-plain/unbound.conf" >"$LOGDIR/unbound-plain.out" 2>&1 &
PLAIN_PID=$!
for i in $(seq 1 50); do
	in_ns dig +time=1 +tries=1 @"$PLAIN_V4" example. SOA >/dev/null 2>&1 && break
	sleep 0.2
done
if in_ns dig +time=1 +tries=1 @"$PLAIN_V4" example. SOA 2>/dev/null | grep -q 'flags:.* ad'; then
	not_ok "the plain unbound does not validate (setup)"
else
	doc RESOLVER="$PLAIN_V4"
	expect "resolver that does not validate: exit 69" 69 \
		"fail  zone example.  resolver $PLAIN_V4 does not validate: no AD bit for example., whose servers serve a DNSKEY RRset"
fi

# ---- nothing written so far ------------------------------------------------
nothing_written() {
	local after
	after=$(snapshot)
	if [ "$before" = "$after" ]; then
		ok "$1: doctor changed nothing (state database, keys, chains, zone serials)"
	else not_ok "$1: doctor changed nothing" "$(diff <(echo "$before") <(echo "$after"))"; fi
}
nothing_written "healthy and faulty setups"

# ---- an unsigned zone ---------------------------------------------------
# plain.pdns.example: a zone PowerDNS serves unsigned, delegated without DS.
api() { in_ns curl -sS -o /dev/null -w '%{http_code}' -H @"$PDNS_API_HEADER_FILE" -H 'Content-Type: application/json' "$@"; }
c1=$(api -X POST -d '{"name": "plain.pdns.example.", "kind": "Native", "nameservers": ["ns.pdns.example."]}' \
	"$PDNS_API_URL/servers/$PDNS_SERVER_ID/zones")
c2=$(api -X PATCH -d '{"rrsets": [{"name": "plain.pdns.example.", "type": "NS", "ttl": 5, "changetype": "REPLACE", "records": [{"content": "ns.pdns.example.", "disabled": false}]}]}' \
	"$PDNS_API_URL/servers/$PDNS_SERVER_ID/zones/pdns.example.")
before=$(snapshot)	# the setup changed pdns.example.'s serial
if [ "$c1" != 201 ] || [ "$c2" != 204 ]; then
	not_ok "an unsigned zone is made (setup)" "POST $c1, PATCH $c2"
else
	sleep 1
	doc HOSTLINES="alias = mx.plain.pdns.example pdns"
	expect "unsigned zone: exit 69, naming it" 69 \
		"fail  zone plain.pdns.example.  zone plain.pdns.example. is not signed (no DNSKEY at its servers)"
fi

# ---- a silent authoritative address ---------------------------------------
WORLD_NS=$NS WORLD_DIR=$W bash "$top/tests/world/secondary.sh" stop >/dev/null 2>&1
doc
expect "silent secondary: exit 69, naming both its addresses" 69 \
	"fail  zone example.  zone example.: $NS2_V4 (ns2.example.) does not answer" \
	"fail  zone example.  zone example.: $NS2_V6 (ns2.example.) does not answer"
WORLD_NS=$NS WORLD_DIR=$W bash "$top/tests/world/secondary.sh" start >/dev/null 2>&1

# ---- nothing written ----------------------------------------------------
nothing_written "an unsigned zone, a silent secondary"
[ ! -e "$D/hook-ran" ] && ok "doctor never ran the ACME hook" || not_ok "doctor never ran the ACME hook"
summary
