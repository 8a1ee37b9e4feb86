#!/bin/bash
# Brings up the daneroll test world: DNS (signed root, BIND primary and
# secondary, Knot, PowerDNS, unbound), pebble and two Postfix MX hosts, all
# inside the network namespace $WORLD_NS, all state under $WORLD_DIR.
# See tests/world/README.md for the topology.
#
#   tests/world/up.sh [--only dns|dns,acme|dns,mail] [--lagging-secondary]
#                     [--dir DIR] [--ns NAME] [--keep-on-failure]
#
# Writes $WORLD_DIR/env (sourceable sh). If a world is already up (same
# namespace or directory), it is torn down first. On failure the half-made
# world is torn down again (unless --keep-on-failure) and the exit code is 1.
set -u
set -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
	sed -n '2,14s/^# \{0,1\}//p' "$0" >&2
	exit 64
}

ONLY=dns,acme,mail
LAGGING=0
KEEP_ON_FAILURE=${WORLD_KEEP_ON_FAILURE:-0}
while [ $# -gt 0 ]; do
	case $1 in
	--only) [ $# -ge 2 ] || usage; ONLY=$2; shift 2 ;;
	--only=*) ONLY=${1#--only=}; shift ;;
	--lagging-secondary) LAGGING=1; shift ;;
	--dir) [ $# -ge 2 ] || usage; WORLD_DIR=$2; shift 2 ;;
	--ns) [ $# -ge 2 ] || usage; WORLD_NS=$2; shift 2 ;;
	--keep-on-failure) KEEP_ON_FAILURE=1; shift ;;
	-h|--help) usage ;;
	*) echo "up.sh: unknown argument: $1" >&2; usage ;;
	esac
done
export WORLD_DIR WORLD_NS
# shellcheck source=tests/world/lib.sh
. "$HERE/lib.sh"

# DNS is always there: everything else depends on it.
WANT_ACME=0 WANT_MAIL=0
for c in $(echo "$ONLY" | tr ',' ' '); do
	case $c in
	dns) ;;
	acme) WANT_ACME=1 ;;
	mail) WANT_MAIL=1 ;;
	*) die "--only: unknown component '$c' (dns, acme, mail)" ;;
	esac
done

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
case $WORLD_DIR in
/*) ;;
*) die "WORLD_DIR must be an absolute path: $WORLD_DIR" ;;
esac
for b in ip named dig nsupdate dnssec-dsfromkey tsig-keygen knotd knotc \
	pdns_server pdnsutil sqlite3 unbound openssl curl; do
	command -v "$b" >/dev/null 2>&1 ||
		die "missing program '$b': run 'sh tests/deps.sh world' as root"
done
[ "$WANT_ACME" = 0 ] || command -v pebble >/dev/null 2>&1 ||
	die "missing program 'pebble': run 'sh tests/deps.sh world' as root"
[ "$WANT_MAIL" = 0 ] || [ -x /usr/lib/postfix/sbin/master ] ||
	die "missing postfix: run 'sh tests/deps.sh world' as root"

T0=$(now_ms)
# step MESSAGE: progress line with the time since start (quiet with
# WORLD_QUIET=1).
step() {
	[ "${WORLD_QUIET:-0}" = 1 ] && return
	local t=$(($(now_ms) - T0))
	printf 'world: [%d.%03d s] %s\n' $((t / 1000)) $((t % 1000)) "$*" >&2
}

# An old world (ours or a half-failed one) goes first.
if ns_exists || [ -e "$WORLD_DIR" ]; then
	say "a world is already up: tearing it down first"
	bash "$HERE/down.sh" || die "could not tear down the old world"
fi
[ -e "$WORLD_DIR" ] && die "$WORLD_DIR still exists"
T0=$(now_ms)

UP_DONE=0
on_exit() {
	[ "$UP_DONE" = 1 ] && return
	say "bring-up FAILED; logs are in $WORLD_DIR/log and the component dirs"
	for f in "$WORLD_DIR"/log/*.log; do
		[ -s "$f" ] || continue
		say "---- last lines of $f"
		tail -n 8 "$f" >&2
	done
	if [ "$KEEP_ON_FAILURE" = 1 ]; then
		say "--keep-on-failure: leaving the half-made world; run down.sh"
	else
		bash "$HERE/down.sh" >&2
	fi
}
trap on_exit EXIT

umask 022
mkdir -p "$WORLD_DIR" || die "cannot create $WORLD_DIR"
chmod 0755 "$WORLD_DIR"
: >"$WORLD_DIR/$WORLD_MARK"
mkdir -p "$WORLD_DIR/pids" "$WORLD_DIR/log"
# Our own pid, so that a down.sh run while this script is still at work
# (after it was killed, say) can stop it before it starts anything more.
echo $$ >"$WORLD_DIR/pids/up.shpid"
# Postfix's unprivileged processes must traverse the directories above
# their spool and data directories.
d=$WORLD_DIR
while d=$(dirname "$d") && [ "$d" != / ]; do
	[ "$(stat -c %A "$d" | cut -c10)" = x ] || [ -k "$d" ] ||
		say "warning: $d is not world-traversable; Postfix may fail"
done

# ============================================================== namespace
make_namespace() {
	ip netns add "$WORLD_NS" || die "ip netns add $WORLD_NS failed"
	nsx ip link set lo up || die "cannot bring up lo in $WORLD_NS"
	local a
	for a in $ROOT_V4 $NS1_V4 $NS2_V4 $KNOT_V4 $PDNS_V4 $RESOLVER_V4 \
		$COLD_V4 $MX1_V4 $MX2_V4 $ACME_V4; do
		nsx ip addr add "$a/32" dev lo || die "cannot add $a"
	done
	# nodad: usable at once (no duplicate address detection wait).
	for a in $ROOT_V6 $NS1_V6 $NS2_V6 $KNOT_V6 $PDNS_V6 $RESOLVER_V6 \
		$COLD_V6 $MX1_V6 $MX2_V6 $ACME_V6; do
		nsx ip addr add "$a/128" dev lo nodad || die "cannot add $a"
	done
	# Programs run with "ip netns exec" see this as /etc/resolv.conf.
	# trust-ad: glibc passes the resolver's AD bit on only with it.
	mkdir -p "/etc/netns/$WORLD_NS"
	printf 'nameserver %s\nnameserver %s\noptions trust-ad edns0\n' \
		"$RESOLVER_V4" "$RESOLVER_V6" >"/etc/netns/$WORLD_NS/resolv.conf"
}

# ============================================================== secrets
# All secrets are made with umask 077 and never appear on a command line.
make_secrets() {
	mkdir -p "$WORLD_DIR/tsig" "$WORLD_DIR/pdns"
	(
		umask 077
		# BIND: the key daneroll uses (may only change TLSA records) and
		# an admin key for tests that need to change anything else.
		tsig-keygen -a hmac-sha256 daneroll-bind >"$WORLD_DIR/tsig/bind.key"
		tsig-keygen -a hmac-sha256 world-admin >"$WORLD_DIR/tsig/admin.key"
		# Knot: its own key, in the same tsig-keygen format...
		tsig-keygen -a hmac-sha256 daneroll-knot >"$WORLD_DIR/tsig/knot.key"
		# ...and the same secret in Knot's configuration syntax.
		sed -n 's/^[[:space:]]*secret "\(.*\)";.*/\1/p' \
			"$WORLD_DIR/tsig/knot.key" |
			awk '{ printf "key:\n  - id: daneroll-knot\n    algorithm: hmac-sha256\n    secret: %s\n", $1 }' \
				>"$WORLD_DIR/tsig/knot.conf"
		# PowerDNS API key: a file holding the key alone, and a curl
		# header file (curl -H @file) so it never shows up in argv.
		head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$WORLD_DIR/pdns/api-key"
		printf 'X-API-Key: %s\n' "$(cat "$WORLD_DIR/pdns/api-key")" \
			>"$WORLD_DIR/pdns/api-header"
	) || die "cannot make secrets"
	grep -q secret "$WORLD_DIR/tsig/knot.conf" || die "cannot convert knot key"
}

# ============================================================== local CA
# A root CA, an intermediate, and the MX certificates. Combined files
# (private key first, then leaf, then intermediate) are what Postfix's
# smtpd_tls_chain_files loads, and can be swapped atomically by a rename.
CA=$WORLD_DIR/ca
make_ca() {
	mkdir -p "$CA"
	(
		umask 077
		cd "$CA" || exit 1
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout root.key -out root.pem -days 3650 -sha256 \
			-subj "/O=daneroll test world/CN=World Root CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || exit 1
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout int.key -out int.csr \
			-subj "/O=daneroll test world/CN=World Intermediate CA" 2>/dev/null || exit 1
		printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
			"keyUsage=critical,keyCertSign,cRLSign" \
			"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >int.ext
		openssl x509 -req -in int.csr -CA root.pem -CAkey root.key \
			-CAcreateserial -days 3650 -sha256 -extfile int.ext \
			-out int.pem 2>/dev/null || exit 1
		chmod 0644 root.pem int.pem
	) || die "cannot make the local CA"
}

# issue_cert DIR NAME KEYTYPE SANS...: key and certificate for an MX host.
# KEYTYPE is rsa2048 or ecdsa-p256 (daneroll's names, so that a daneroll
# configuration can say DIR/%a.pem), or ecdsa. Writes DIR/KEYTYPE.key,
# DIR/KEYTYPE.crt (leaf), DIR/KEYTYPE.fullchain.pem (leaf + intermediate)
# and DIR/KEYTYPE.pem (key + leaf + intermediate, mode 0600).
issue_cert() {
	local dir=$1 name=$2 kt=$3 san="" s
	shift 3
	for s in "$@"; do
		case $s in
		*:*|[0-9]*.[0-9]*) san="$san,IP:$s" ;;
		*) san="$san,DNS:$s" ;;
		esac
	done
	san=${san#,}
	mkdir -p "$dir"
	(
		umask 077
		cd "$dir" || exit 1
		case $kt in
		rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
			-out "$kt.key" 2>/dev/null || exit 1 ;;
		ecdsa|ecdsa-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$kt.key" 2>/dev/null || exit 1 ;;
		esac
		openssl req -new -key "$kt.key" -subj "/CN=$name" -out "$kt.csr" || exit 1
		printf '%s\n' "basicConstraints=critical,CA:FALSE" \
			"keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" "subjectAltName=$san" \
			"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$kt.ext"
		openssl x509 -req -in "$kt.csr" -CA "$CA/int.pem" -CAkey "$CA/int.key" \
			-CAcreateserial -CAserial "$CA/int.srl" -days 90 -sha256 \
			-extfile "$kt.ext" -out "$kt.crt" 2>/dev/null || exit 1
		cat "$kt.key" "$kt.crt" "$CA/int.pem" >"$kt.pem.tmp" &&
			mv "$kt.pem.tmp" "$kt.pem" || exit 1
		cat "$kt.crt" "$CA/int.pem" >"$kt.fullchain.pem" || exit 1
		chmod 0644 "$kt.crt" "$kt.fullchain.pem"
		rm -f "$kt.csr" "$kt.ext"
	) || die "cannot issue the $kt certificate of $name"
}

# ============================================================== zone data
# soa MNAME: the SOA record every zone uses. refresh 30 s (what a
# secondary without NOTIFY falls back to), retry 5 s, expire 10 min,
# negative TTL = WORLD_TTL.
soa() {
	local rname=hostmaster.$ORIGIN
	[ "$ORIGIN" = . ] && rname=hostmaster.root.
	printf '@ IN SOA %s %s 1 30 5 600 %s\n' "$1" "$rname" "$WORLD_TTL"
}

# ds_of ZONE ADDRESS: print the SHA-256 DS record(s) of the zone's
# KSK/CSK, taken from the DNSKEY RRset the server serves.
ds_of() {
	local f=$WORLD_DIR/log/dnskey-${1%.}.txt
	nsx dig +norec +noall +answer @"$2" "$1" DNSKEY >"$f" || return 1
	grep -q DNSKEY "$f" || return 1
	dnssec-dsfromkey -2 -f "$f" "$1"
}

# signed ZONE ADDRESS: the server answers the zone's SOA with an RRSIG.
signed() {
	nsx dig +norec +dnssec +noall +answer @"$2" "$1" SOA | grep -q RRSIG
}

# ============================================================== Knot DNS
start_knot() {
	local k=$WORLD_DIR/knot ORIGIN=$ZONE_KNOT
	mkdir -p "$k/run" "$k/db" "$k/zones"
	{
		printf '$ORIGIN %s\n$TTL %s\n' "$ZONE_KNOT" "$WORLD_TTL"
		soa "ns.$ZONE_KNOT"
		printf '@ IN NS ns\n@ IN MX 10 mx\n'
		printf 'ns IN A %s\nns IN AAAA %s\n' "$KNOT_V4" "$KNOT_V6"
		printf 'mx IN A %s\nmx IN AAAA %s\n' "$MX1_V4" "$MX1_V6"
	} >"$k/zones/knot.example.zone"
	cat >"$k/knot.conf" <<EOF
# Knot DNS of the daneroll test world: knot.example., signed automatically,
# RFC 2136 updates allowed with the TSIG key daneroll-knot.
server:
    rundir: "$k/run"
    listen: [ $KNOT_V4@53, $KNOT_V6@53 ]

log:
  - target: "$k/knot.log"
    any: info

database:
    storage: "$k/db"

include: "$WORLD_DIR/tsig/knot.conf"

acl:
  - id: update
    key: daneroll-knot
    action: update

policy:
  - id: world
    algorithm: ecdsap256sha256
    single-type-signing: on
    dnskey-ttl: $WORLD_TTL
    zone-max-ttl: 60
    propagation-delay: 1
    rrsig-lifetime: 14d
    rrsig-refresh: 5d

template:
  - id: default
    storage: "$k/zones"
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
    semantic-checks: on

zone:
  - domain: $ZONE_KNOT
    file: "$k/zones/knot.example.zone"
    dnssec-signing: on
    dnssec-policy: world
    acl: update
EOF
	chmod 0600 "$k/knot.conf"
	spawn knot /usr/sbin/knotd -c "$k/knot.conf"
	PID_KNOT=$SPAWNED_PID
}

# ============================================================== PowerDNS
start_pdns() {
	local p=$WORLD_DIR/pdns ORIGIN=$ZONE_PDNS
	mkdir -p "$p"
	sqlite3 "$p/pdns.sqlite3" </usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql ||
		die "cannot create the PowerDNS database"
	{
		printf '$ORIGIN %s\n$TTL %s\n' "$ZONE_PDNS" "$WORLD_TTL"
		soa "ns.$ZONE_PDNS"
		printf '@ IN NS ns\n@ IN MX 10 mx\n'
		printf 'ns IN A %s\nns IN AAAA %s\n' "$PDNS_V4" "$PDNS_V6"
		printf 'mx IN A %s\nmx IN AAAA %s\n' "$MX1_V4" "$MX1_V6"
	} >"$p/pdns.example.zone"
	# The API key is read from a file at start-up (include-dir), so the
	# main config holds no secret and only the 0600 files do.
	mkdir -p "$p/conf.d"
	(
		umask 077
		printf 'api-key=%s\n' "$(cat "$p/api-key")" >"$p/conf.d/api.conf"
	) || die "cannot write the PowerDNS API key config"
	cat >"$p/pdns.conf" <<EOF
# PowerDNS Authoritative of the daneroll test world: pdns.example.,
# sqlite3 backend, DNSSEC (presigned on the fly), HTTP API.
launch=gsqlite3
gsqlite3-database=$p/pdns.sqlite3
gsqlite3-dnssec=yes
include-dir=$p/conf.d
local-address=$PDNS_V4, $PDNS_V6
local-port=53
socket-dir=$p
daemon=no
guardian=no
disable-syslog=yes
log-timestamp=yes
loglevel=5
api=yes
webserver=yes
webserver-address=$PDNS_V4
webserver-port=$PDNS_API_PORT
webserver-allow-from=192.0.2.0/24,2001:db8::/32,127.0.0.0/8
# No caches: a change made through the API is served at once.
cache-ttl=0
query-cache-ttl=0
negquery-cache-ttl=0
default-ttl=$WORLD_TTL
# Never look up PowerDNS's security status (no outside queries).
security-poll-suffix=
EOF
	local pu="pdnsutil --config-dir=$p"
	{
		$pu load-zone "$ZONE_PDNS" "$p/pdns.example.zone" &&
			$pu secure-zone "$ZONE_PDNS" &&
			$pu set-meta "$ZONE_PDNS" SOA-EDIT-API DEFAULT &&
			$pu rectify-zone "$ZONE_PDNS"
	} >"$WORLD_DIR/log/pdnsutil.log" 2>&1 || die "pdnsutil failed (log/pdnsutil.log)"
	spawn pdns /usr/sbin/pdns_server --config-dir="$p"
	PID_PDNS=$SPAWNED_PID
}

# ============================================================== BIND
# named_options DIR V4 V6 EXTRA: the options block shared by the BIND
# instances, EXTRA statements among them.
named_options() {
	cat <<EOF
options {
	directory "$1";
	pid-file "$1/named.pid";
	session-keyfile "$1/session.key";
	managed-keys-directory "$1";
EOF
	named_authoritative "$2" "$3"
	cat <<EOF
	allow-query { any; };
	allow-transfer { none; };
	notify no;
	notify-delay 0;
	max-journal-size 10m;
	$4
};
controls { };
logging {
	channel main {
		file "$1/named.log" versions 0 size 20m;
		print-time yes; print-category yes; print-severity yes;
		severity info;
	};
	category default { main; };
	category lame-servers { null; };
};
dnssec-policy "world" {
	keys { csk lifetime unlimited algorithm ecdsap256sha256; };
	dnskey-ttl $WORLD_TTL;
	max-zone-ttl 60;
	zone-propagation-delay 1;
	publish-safety 1;
	retire-safety 1;
	parent-ds-ttl $WORLD_TTL;
	parent-propagation-delay 1;
	signatures-refresh 5d;
	signatures-validity 14d;
	signatures-validity-dnskey 14d;
};
EOF
}

# named_up NAME V4 V6 EXTRA: BIND instance NAME, in $WORLD_DIR/NAME, with
# the shared options (EXTRA among them), then its keys and zones from
# stdin; the configuration checked, then started ($SPAWNED_PID).
named_up() {
	local d=$WORLD_DIR/$1
	{ named_options "$d" "$2" "$3" "$4"; cat; } >"$d/named.conf"
	named-checkconf "$d/named.conf" || die "$1: bad named.conf"
	start_named "$1"
}

# The primary's NOTIFY and the secondary's refresh. --lagging-secondary:
# no NOTIFY reaches ns2; it polls the primary every 30 s.
if [ "$LAGGING" = 1 ]; then
	NS1_NOTIFY="notify no;"
	NS2_REFRESH="min-refresh-time 30; max-refresh-time 30; min-retry-time 5; max-retry-time 5;"
else
	NS1_NOTIFY="notify explicit; also-notify { $NS2_V4; $NS2_V6; };"
	NS2_REFRESH="min-refresh-time 1; max-refresh-time 30; min-retry-time 1; max-retry-time 5;"
fi

start_ns1() {
	local d=$WORLD_DIR/ns1 ORIGIN=$ZONE_BIND
	mkdir -p "$d/keys"
	{
		printf '$ORIGIN %s\n$TTL %s\n' "$ZONE_BIND" "$WORLD_TTL"
		soa "ns1.$ZONE_BIND"
		printf '@ IN NS ns1\n@ IN NS ns2\n'
		printf '@ IN MX 10 mx1\n@ IN MX 20 mail2\n'
		printf 'ns1 IN A %s\nns1 IN AAAA %s\n' "$NS1_V4" "$NS1_V6"
		printf 'ns2 IN A %s\nns2 IN AAAA %s\n' "$NS2_V4" "$NS2_V6"
		printf 'mx1 IN A %s\nmx1 IN AAAA %s\n' "$MX1_V4" "$MX1_V6"
		printf 'mx2 IN A %s\nmx2 IN AAAA %s\n' "$MX2_V4" "$MX2_V6"
		printf 'mail2 IN CNAME mx2\n'
		printf 'acme IN A %s\n' "$ACME_V4"
		# Delegations, with glue and the children's DS.
		printf 'knot IN NS ns.knot\nns.knot IN A %s\nns.knot IN AAAA %s\n' \
			"$KNOT_V4" "$KNOT_V6"
		printf '%s\n' "$DS_KNOT"
		printf 'pdns IN NS ns.pdns\nns.pdns IN A %s\nns.pdns IN AAAA %s\n' \
			"$PDNS_V4" "$PDNS_V6"
		printf '%s\n' "$DS_PDNS"
	} >"$d/example.zone"
	named_up ns1 "$NS1_V4" "$NS1_V6" "" <<EOF
include "$WORLD_DIR/tsig/bind.key";
include "$WORLD_DIR/tsig/admin.key";
zone "$ZONE_BIND" {
	type primary;
	file "$d/example.zone";
	key-directory "$d/keys";
	dnssec-policy "world";
	inline-signing yes;
	// daneroll's key may change TLSA records only; the admin key anything.
	update-policy {
		grant daneroll-bind zonesub TLSA;
		grant world-admin zonesub ANY;
	};
	allow-transfer { $NS2_V4; $NS2_V6; key world-admin; };
	$NS1_NOTIFY
};
EOF
	PID_NS1=$SPAWNED_PID
}

start_ns2() {
	local d=$WORLD_DIR/ns2
	mkdir -p "$d"
	named_up ns2 "$NS2_V4" "$NS2_V6" "$NS2_REFRESH" <<EOF
zone "$ZONE_BIND" {
	type secondary;
	primaries { $NS1_V4; $NS1_V6; };
	file "$d/example.zone";
};
EOF
	PID_NS2=$SPAWNED_PID
}

start_root() {
	local d=$WORLD_DIR/root ORIGIN=.
	mkdir -p "$d/keys"
	{
		printf '$ORIGIN .\n$TTL %s\n' "$WORLD_TTL"
		soa "$ROOT_NS_NAME"
		printf '. IN NS %s\n' "$ROOT_NS_NAME"
		printf '%s IN A %s\n%s IN AAAA %s\n' "$ROOT_NS_NAME" "$ROOT_V4" \
			"$ROOT_NS_NAME" "$ROOT_V6"
		printf 'example. IN NS ns1.example.\nexample. IN NS ns2.example.\n'
		printf 'ns1.example. IN A %s\nns1.example. IN AAAA %s\n' "$NS1_V4" "$NS1_V6"
		printf 'ns2.example. IN A %s\nns2.example. IN AAAA %s\n' "$NS2_V4" "$NS2_V6"
		printf '%s\n' "$DS_EXAMPLE"
	} >"$d/root.zone"
	named_up root "$ROOT_V4" "$ROOT_V6" "" <<EOF
zone "." {
	type primary;
	file "$d/root.zone";
	key-directory "$d/keys";
	dnssec-policy "world";
	inline-signing yes;
};
EOF
	PID_ROOT=$SPAWNED_PID
}

# ============================================================== unbound
# unbound_conf DIR V4 V6 EXTRA: a validating unbound iterating from our own
# signed root (trust anchor = the root's DNSKEY), listening on V4 and V6;
# EXTRA: more server: lines, then the remote-control section.
unbound_conf() {
	local u=$1
	printf '. 3600000 IN NS %s\n%s 3600000 IN A %s\n%s 3600000 IN AAAA %s\n' \
		"$ROOT_NS_NAME" "$ROOT_NS_NAME" "$ROOT_V4" "$ROOT_NS_NAME" "$ROOT_V6" \
		>"$u/root.hints"
	cat >"$u/unbound.conf" <<EOF
# unbound of the daneroll test world: validating, iterating from our own
# signed root; trust anchor = the root's DNSKEY.
server:
	verbosity: 1
	val-log-level: 2
	num-threads: 1
	interface: $2
	interface: $3
	port: 53
	outgoing-interface: $2
	outgoing-interface: $3
	do-ip4: yes
	do-ip6: yes
	access-control: 127.0.0.0/8 allow
	access-control: 192.0.2.0/24 allow
	access-control: 2001:db8::/32 allow
	username: ""
	chroot: ""
	directory: "$u"
	pidfile: "$u/unbound.pid"
	logfile: "$u/unbound.log"
	use-syslog: no
	log-time-ascii: yes
	do-daemonize: no
	root-hints: "$u/root.hints"
	trust-anchor-file: "$WORLD_DIR/trust-anchor.key"
	module-config: "validator iterator"
	# Short caches, so tests see changes within seconds.
	cache-max-ttl: 60
	cache-max-negative-ttl: $WORLD_TTL
	val-bogus-ttl: $WORLD_TTL
	infra-host-ttl: 30
	# The names are made up: nothing is "local" or reserved here.
	local-zone: "test." nodefault
$4
EOF
}

# The resolver of the namespace (resolv.conf) and of the warm prober:
# it caches, as a sender's resolver does.
start_unbound() {
	local u=$WORLD_DIR/unbound
	mkdir -p "$u"
	unbound_conf "$u" "$RESOLVER_V4" "$RESOLVER_V6" "remote-control:
	control-enable: no"
	unbound-checkconf "$u/unbound.conf" >/dev/null || die "unbound: bad config"
	spawn unbound /usr/sbin/unbound -d -c "$u/unbound.conf"
	PID_UNBOUND=$SPAWNED_PID
}

# The cold prober's resolver: the same, but the prober empties its cache
# before each round of probes (unbound-control flush_zone . on a local
# socket, see prober.sh): every rrset, message and key entry, so each answer is
# fetched from the authoritative servers as they are then, as by a
# resolver that never asked before. aggressive-nsec is off, so that no denial is synthesised
# from NSEC records kept in the validator's own negative cache, which
# flush_zone is not documented to empty. (cache-max-ttl: 0 is not the
# same: unbound still keeps what it fetched, with 0 s left, until the end
# of that second - dump_cache shows it - for the next probe to reuse.)
start_unbound_cold() {
	local u=$WORLD_DIR/unbound-cold
	mkdir -p "$u"
	unbound_conf "$u" "$COLD_V4" "$COLD_V6" "	aggressive-nsec: no
remote-control:
	control-enable: yes
	control-interface: $u/control.sock
	control-use-cert: no"
	unbound-checkconf "$u/unbound.conf" >/dev/null || die "unbound-cold: bad config"
	spawn unbound-cold /usr/sbin/unbound -d -c "$u/unbound.conf"
	PID_UNBOUND_COLD=$SPAWNED_PID
}

# ============================================================== pebble
start_pebble() {
	local p=$WORLD_DIR/pebble
	mkdir -p "$p"
	# Pebble's own HTTPS certificate (for the ACME API), from the world CA;
	# Debian's pebble package ships no test certificate.
	issue_cert "$p" acme.example ecdsa acme.example localhost "$ACME_V4" "$ACME_V6"
	cat >"$p/pebble-config.json" <<EOF
{
  "pebble": {
    "listenAddress": "$ACME_V4:$PEBBLE_PORT",
    "managementListenAddress": "$ACME_V4:$PEBBLE_MGMT_PORT",
    "certificate": "$p/ecdsa.fullchain.pem",
    "privateKey": "$p/ecdsa.key",
    "httpPort": 80,
    "tlsPort": 443,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
EOF
	# NOSLEEP: no random validation delay; ALWAYS_VALID: challenges pass
	# without a challenge server (override with PEBBLE_VA_ALWAYS_VALID=0);
	# NONCEREJECT=0: no random badNonce errors.
	spawn pebble env PEBBLE_VA_NOSLEEP=1 \
		PEBBLE_VA_ALWAYS_VALID="${PEBBLE_VA_ALWAYS_VALID:-1}" \
		PEBBLE_WFE_NONCEREJECT=0 \
		/usr/bin/pebble -config "$p/pebble-config.json" \
		-dnsserver "$RESOLVER_V4:53"
	PID_PEBBLE=$SPAWNED_PID
}

# Pebble makes a new CA at every start: fetch its root and intermediate.
fetch_pebble_ca() {
	local p=$WORLD_DIR/pebble m="https://$ACME_V4:$PEBBLE_MGMT_PORT"
	nsx curl -sf --cacert "$CA/root.pem" "$m/roots/0" -o "$WORLD_DIR/pebble-ca.pem" &&
		nsx curl -sf --cacert "$CA/root.pem" "$m/intermediates/0" \
			-o "$WORLD_DIR/pebble-intermediate.pem" &&
		grep -q 'BEGIN CERTIFICATE' "$WORLD_DIR/pebble-ca.pem"
}

# ============================================================== Postfix
# make_postfix NAME V4 V6 HOSTNAME CHAINFILES: a private Postfix instance.
make_postfix() {
	local name=$1 v4=$2 v6=$3 host=$4 chains=$5 m=$WORLD_DIR/$1
	mkdir -p "$m/conf" "$m/queue" "$m/data"
	chown postfix "$m/data"
	cp /etc/postfix/master.cf "$m/conf/master.cf"
	cat >"$m/conf/main.cf" <<EOF
# Postfix instance $name of the daneroll test world: an MX host that
# accepts STARTTLS on port 25 of its own addresses only.
compatibility_level = 3.6
queue_directory = $m/queue
data_directory = $m/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $host
mydomain = example
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
inet_interfaces = $v4, [$v6]
inet_protocols = all
smtp_bind_address = $v4
smtp_bind_address6 = $v6
smtpd_peername_lookup = no
smtputf8_enable = no
biff = no
maillog_file = $m/maillog
maillog_file_prefixes = $WORLD_DIR
smtpd_tls_security_level = may
smtpd_tls_chain_files = $chains
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
EOF
	# No chroot: the instance's files are outside any chroot.
	postconf -c "$m/conf" -F '*/*/chroot = n' || die "$name: postconf failed"
	# Postfix re-reads a config file modified within the last second, up
	# to 1.5 s of polling: date the fresh files a minute back.
	touch -d "@$(($(date +%s) - 60))" "$m/conf/main.cf" "$m/conf/master.cf"
	start_postfix "$name" || die "$name: postfix check failed (log/$name.log)"
}

# ============================================================== main
make_namespace
make_secrets
step "namespace $WORLD_NS and secrets made"
if [ "$WANT_MAIL" = 1 ] || [ "$WANT_ACME" = 1 ]; then make_ca; step "local CA made"; fi

# 1. The leaf zones first: their DS go into example.
start_knot
start_pdns
step "Knot and PowerDNS started"
# The MX hosts meanwhile, in the background, one job each (they need no
# DNS to start). Their pids are recorded for down.sh.
MAIL_JOBS=""
if [ "$WANT_MAIL" = 1 ]; then
	(
		issue_cert "$WORLD_DIR/mx1" mx1.example rsa2048 mx1.example mx.knot.example mx.pdns.example
		issue_cert "$WORLD_DIR/mx1" mx1.example ecdsa-p256 mx1.example mx.knot.example mx.pdns.example
		make_postfix mx1 "$MX1_V4" "$MX1_V6" mx1.example \
			"$WORLD_DIR/mx1/rsa2048.pem, $WORLD_DIR/mx1/ecdsa-p256.pem"
	) &
	echo $! >"$WORLD_DIR/pids/up-mx1.shpid"
	MAIL_JOBS="$MAIL_JOBS $!"
	(
		issue_cert "$WORLD_DIR/mx2" mx2.example rsa2048 mx2.example mail2.example
		make_postfix mx2 "$MX2_V4" "$MX2_V6" mx2.example "$WORLD_DIR/mx2/rsa2048.pem"
	) &
	echo $! >"$WORLD_DIR/pids/up-mx2.shpid"
	MAIL_JOBS="$MAIL_JOBS $!"
fi
wait_up knot 10 "Knot to sign $ZONE_KNOT" signed "$ZONE_KNOT" "$KNOT_V4" || die "Knot"
wait_up pdns 10 "PowerDNS to serve $ZONE_PDNS" signed "$ZONE_PDNS" "$PDNS_V4" || die "PowerDNS"
DS_KNOT=$(ds_of "$ZONE_KNOT" "$KNOT_V4") || die "no DS for $ZONE_KNOT"
DS_PDNS=$(ds_of "$ZONE_PDNS" "$PDNS_V4") || die "no DS for $ZONE_PDNS"
step "knot.example. and pdns.example. signed"

# 2. example. on the primary; its DS goes into the root.
start_ns1
wait_up ns1 10 "ns1 to sign $ZONE_BIND" signed "$ZONE_BIND" "$NS1_V4" || die "BIND primary"
DS_EXAMPLE=$(ds_of "$ZONE_BIND" "$NS1_V4") || die "no DS for $ZONE_BIND"
step "example. signed on the primary"

# 3. The secondary and the root, side by side.
start_ns2
start_root
wait_up root 10 "the root to be signed" signed . "$ROOT_V4" || die "root"
# The trust anchor: the root's KSK/CSK (flags 257) as DNSKEY and as DS.
nsx dig +norec +noall +answer @"$ROOT_V4" . DNSKEY |
	awk '$4 == "DNSKEY" && $5 == 257' >"$WORLD_DIR/trust-anchor.key"
grep -q DNSKEY "$WORLD_DIR/trust-anchor.key" || die "no root DNSKEY"
dnssec-dsfromkey -2 -f "$WORLD_DIR/trust-anchor.key" . >"$WORLD_DIR/trust-anchor.ds" ||
	die "cannot make the root DS"
step "root signed, trust anchor written"

# 4. The validating resolvers: the namespace's, and the cold prober's.
start_unbound
start_unbound_cold
ad_set() {
	nsx dig +dnssec +time=1 +tries=1 @"$1" "$2" SOA | grep -q 'flags:.* ad'
}
wait_up unbound 10 "unbound to validate $ZONE_BIND" ad_set "$RESOLVER_V4" "$ZONE_BIND" || die "unbound"
wait_up unbound-cold 10 "the cold unbound to validate $ZONE_BIND" ad_set "$COLD_V4" "$ZONE_BIND" ||
	die "unbound-cold"
step "unbound validates (both)"
wait_up ns2 10 "ns2 to load $ZONE_BIND" signed "$ZONE_BIND" "$NS2_V4" || die "BIND secondary"
step "secondary serves example."

# 5. ACME.
if [ "$WANT_ACME" = 1 ]; then
	start_pebble
	wait_up pebble 10 "pebble's management port" fetch_pebble_ca || die "pebble"
	step "pebble up, its CA fetched"
fi

# 6. Mail: both instances answer with a banner on every address.
if [ "$WANT_MAIL" = 1 ]; then
	mkdir -p "$WORLD_DIR/posttls"
	cat >"$WORLD_DIR/posttls/main.cf" <<EOF
# MAIL_CONFIG for posttls-finger / smtp clients in the world: DNSSEC via the
# namespace's resolv.conf (unbound, trust-ad).
compatibility_level = 3.6
smtp_dns_support_level = dnssec
smtp_tls_security_level = dane
inet_protocols = all
smtp_tls_loglevel = 1
EOF
	for j in $MAIL_JOBS; do
		wait "$j" || die "Postfix could not be set up (see log/mx1.log, log/mx2.log)"
	done
	PID_MX1=$(cat "$WORLD_DIR/pids/mx1.pid")
	PID_MX2=$(cat "$WORLD_DIR/pids/mx2.pid")
	step "Postfix mx1 and mx2 started"
	for a in "$MX1_V4" "$MX1_V6" "$MX2_V4" "$MX2_V6"; do
		wait_for 10 "Postfix on $a" banner "$a" || die "Postfix on $a"
	done
	step "Postfix answers on all addresses"
fi

# ============================================================== env
q() { printf "%s='%s'\n" "$1" "$2"; }
{
	echo "# daneroll test world, written by tests/world/up.sh $(date -u +%FT%TZ)"
	echo "# Source it: . $WORLD_DIR/env"
	q WORLD_NS "$WORLD_NS"
	q WORLD_DIR "$WORLD_DIR"
	q WORLD_NSEXEC "ip netns exec $WORLD_NS"
	q WORLD_COMPONENTS "$ONLY"
	q WORLD_LAGGING_SECONDARY "$LAGGING"
	q WORLD_TTL "$WORLD_TTL"
	for v in ROOT NS1 NS2 KNOT PDNS RESOLVER COLD MX1 MX2 ACME; do
		eval "q ${v}_V4 \"\$${v}_V4\"; q ${v}_V6 \"\$${v}_V6\""
	done
	# Every authoritative address of each zone (what daneroll must poll).
	q AUTH_BIND "$NS1_V4 $NS1_V6 $NS2_V4 $NS2_V6"
	q AUTH_KNOT "$KNOT_V4 $KNOT_V6"
	q AUTH_PDNS "$PDNS_V4 $PDNS_V6"
	q ZONE_BIND "$ZONE_BIND"
	q ZONE_KNOT "$ZONE_KNOT"
	q ZONE_PDNS "$ZONE_PDNS"
	q ROOT_NS_NAME "$ROOT_NS_NAME"
	q MX1_NAME "$MX1_NAME"
	q MX1_KNOT_NAME "$MX1_KNOT_NAME"
	q MX1_PDNS_NAME "$MX1_PDNS_NAME"
	q MX2_NAME "$MX2_NAME"
	q MX2_ALIAS "$MX2_ALIAS"
	q ACME_NAME "$ACME_NAME"
	q RESOLV_CONF "/etc/netns/$WORLD_NS/resolv.conf"
	q COLD_UNBOUND_CONF "$WORLD_DIR/unbound-cold/unbound.conf"
	q TRUST_ANCHOR_FILE "$WORLD_DIR/trust-anchor.key"
	q TRUST_ANCHOR_DS_FILE "$WORLD_DIR/trust-anchor.ds"
	q TSIG_KEY_FILE "$WORLD_DIR/tsig/bind.key"
	q TSIG_KEY_NAME daneroll-bind
	q TSIG_ADMIN_KEY_FILE "$WORLD_DIR/tsig/admin.key"
	q TSIG_ADMIN_KEY_NAME world-admin
	q KNOT_TSIG_KEY_FILE "$WORLD_DIR/tsig/knot.key"
	q KNOT_TSIG_KEY_NAME daneroll-knot
	q PDNS_API_URL "http://$PDNS_V4:$PDNS_API_PORT/api/v1"
	q PDNS_SERVER_ID localhost
	q PDNS_API_KEY_FILE "$WORLD_DIR/pdns/api-key"
	q PDNS_API_HEADER_FILE "$WORLD_DIR/pdns/api-header"
	q PDNS_CONFIG_DIR "$WORLD_DIR/pdns"
	q KNOT_CONFIG "$WORLD_DIR/knot/knot.conf"
	if [ "$WANT_MAIL" = 1 ] || [ "$WANT_ACME" = 1 ]; then
		q WORLD_CA_FILE "$CA/root.pem"
		q WORLD_CA_KEY "$CA/root.key"
		q WORLD_INT_CERT "$CA/int.pem"
		q WORLD_INT_KEY "$CA/int.key"
	fi
	if [ "$WANT_ACME" = 1 ]; then
		q PEBBLE_DIRECTORY_URL "https://$ACME_V4:$PEBBLE_PORT/dir"
		q PEBBLE_MGMT_URL "https://$ACME_V4:$PEBBLE_MGMT_PORT"
		q PEBBLE_TLS_CA_FILE "$CA/root.pem"
		q PEBBLE_CA_FILE "$WORLD_DIR/pebble-ca.pem"
		q PEBBLE_INTERMEDIATE_FILE "$WORLD_DIR/pebble-intermediate.pem"
	fi
	if [ "$WANT_MAIL" = 1 ]; then
		for m in mx1 mx2; do
			M=$(echo "$m" | tr a-z A-Z)
			q "${M}_CONFIG_DIR" "$WORLD_DIR/$m/conf"
			q "${M}_RELOAD_CMD" "ip netns exec $WORLD_NS /usr/sbin/postfix -c $WORLD_DIR/$m/conf reload"
			q "${M}_RSA_CHAIN" "$WORLD_DIR/$m/rsa2048.pem"
			q "${M}_MAILLOG" "$WORLD_DIR/$m/maillog"
		done
		q MX1_ECDSA_CHAIN "$WORLD_DIR/mx1/ecdsa-p256.pem"
		q POSTTLS_MAIL_CONFIG "$WORLD_DIR/posttls"
	fi
	for v in ROOT NS1 NS2 KNOT PDNS UNBOUND UNBOUND_COLD PEBBLE MX1 MX2; do
		eval "p=\${PID_$v:-}"
		[ -n "$p" ] && q "PID_$v" "$p"
	done
	q PIDS_DIR "$WORLD_DIR/pids"
} >"$WORLD_DIR/env"

rm -f "$WORLD_DIR"/pids/*.shpid
UP_DONE=1
T1=$(now_ms)
say "up in $(((T1 - T0) / 1000)).$(printf '%03d' $(((T1 - T0) % 1000))) s: . $WORLD_DIR/env"
