#!/bin/sh
# The RFC 2136 publisher against a real BIND 9 and a real Knot DNS, each
# started here inside the network namespace "drpub" (addresses 192.0.2.x
# and 2001:db8::x on its lo only; nothing outside is touched). Every case
# runs the one-case driver build/tests/test_publish_live inside the
# namespace, then asks the server with dig what it now serves.
#
#   DANEROLL_TOP=$PWD sh tests/integration/publish_rfc2136.sh
#
# Needs root, named, knotd, dig, nsupdate and knsupdate; skips otherwise.
# V=1 shows what the publisher logged in each case.
set -u
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
live=${DANEROLL_LIVE_BIN:-${DANEROLL_BUILD:-$top/build}/tests/test_publish_live}
ns=drpub
bind=192.0.2.1
knot=192.0.2.2
owner=_25._tcp.mx1.example.test

bail() { # why: the whole script is skipped
	skip "publish_rfc2136" "$1"
	summary
	exit 0
}
[ "$(id -u)" -eq 0 ] || bail "not root (needs a network namespace)"
for p in ip named knotd dig nsupdate knsupdate openssl; do
	command -v "$p" >/dev/null 2>&1 || bail "$p not installed"
done
[ -x "$live" ] || bail "$live not built (make check-build)"

t=$(mktemp -d /tmp/drpub.XXXXXX)
pids=""
cleanup() {
	# shellcheck disable=SC2086 # one pid a word
	stop_pids $pids
	ip netns del "$ns" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

in_ns() { ip netns exec "$ns" "$@"; }

# A previous run killed hard may have left the namespace behind.
ip netns del "$ns" 2>/dev/null
ip netns add "$ns" || bail "cannot create network namespace $ns"
ip -n "$ns" link set lo up
for a in $bind/32 $knot/32; do ip -n "$ns" addr add "$a" dev lo; done
for a in 2001:db8::1/128 2001:db8::2/128; do
	ip -n "$ns" addr add "$a" dev lo nodad
done

# ---- keys: one secret per key, in every format daneroll reads ----
mkdir -p "$t/keys" "$t/bind" "$t/knot/db"
chmod 700 "$t/keys"
sec256=$(openssl rand -base64 32 | tr -d "\n")
sec384=$(openssl rand -base64 48 | tr -d "\n")
sec512=$(openssl rand -base64 64 | tr -d "\n")
secother=$(openssl rand -base64 32 | tr -d "\n")
secwrong=$(openssl rand -base64 32 | tr -d "\n")
umask 077
# The secrets again, one per file: the driver checks that none shows in the
# log, and reads them from files so that none is ever on a command line.
for v in sec256 sec384 sec512 secwrong; do
	eval "printf '%s\n' \"\$$v\"" > "$t/keys/$v.txt"
done
printf 'key "dr-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
	"$sec256" > "$t/keys/bind256.key"
printf 'key "dr-384" {\n\talgorithm hmac-sha384;\n\tsecret "%s";\n};\n' \
	"$sec384" > "$t/keys/bind384.key"
printf '# hmac-sha512:dr-512:...\nkey:\n  - id: dr-512\n    algorithm: hmac-sha512\n    secret: %s\n' \
	"$sec512" > "$t/keys/knot512.key"
printf 'hmac-sha256:dr-key:%s\n' "$sec256" > "$t/keys/simple256.key"
printf 'key "dr-key" { algorithm hmac-sha256; secret "%s"; };\n' \
	"$secwrong" > "$t/keys/wrong.key"
printf 'key "nobody" { algorithm hmac-sha256; secret "%s"; };\n' \
	"$secwrong" > "$t/keys/unknown.key"
printf 'key "other-key" { algorithm hmac-sha256; secret "%s"; };\n' \
	"$secother" > "$t/keys/other.key"
umask 022

zonefile() { # zone primary-address primary-address6
	cat <<EOF
\$TTL 300
@	SOA	ns1.$1. hostmaster.$1. 1 30 30 600 60
@	NS	ns1
ns1	A	$2
ns1	AAAA	$3
mx1	A	192.0.2.25
EOF
}

# ---- BIND 9: dynamic zones with update-policy, one of them signed ----
for z in example.test other.test signed.test; do
	zonefile $z $bind 2001:db8::1 > "$t/bind/$z.db"
done
cat > "$t/bind/named.conf" <<EOF
options {
	directory "$t/bind";
	pid-file "$t/bind/named.pid";
	session-keyfile "$t/bind/session.key";
	managed-keys-directory "$t/bind";
	listen-on { $bind; };
	listen-on-v6 { 2001:db8::1; };
	query-source address $bind;
	notify-source $bind;
	transfer-source $bind;
	recursion no;
	notify no;
	dnssec-validation no;
};
controls { };
key "dr-key" { algorithm hmac-sha256; secret "$sec256"; };
key "dr-384" { algorithm hmac-sha384; secret "$sec384"; };
key "dr-512" { algorithm hmac-sha512; secret "$sec512"; };
key "other-key" { algorithm hmac-sha256; secret "$secother"; };
zone "example.test" {
	type primary;
	file "$t/bind/example.test.db";
	update-policy {
		grant dr-key zonesub TLSA;
		grant dr-384 zonesub TLSA;
		grant dr-512 zonesub TLSA;
		grant other-key zonesub ANY;
	};
};
zone "other.test" {
	type primary;
	file "$t/bind/other.test.db";
	update-policy { grant other-key zonesub ANY; };
};
zone "signed.test" {
	type primary;
	file "$t/bind/signed.test.db";
	key-directory "$t/bind";
	dnssec-policy default;
	inline-signing yes;
	update-policy { grant dr-key zonesub TLSA; };
};
EOF
# Started with ip netns exec directly (it execs, no fork), so $! is the
# daemon itself; through a shell function it would be a subshell's.
ip netns exec "$ns" named -g -c "$t/bind/named.conf" > "$t/bind/log" 2>&1 &
pids="$pids $!"

# ---- Knot DNS: the same zones, ACL by key ----
for z in example.test other.test; do
	zonefile $z $knot 2001:db8::2 > "$t/knot/$z.zone"
done
cat > "$t/knot/knot.conf" <<EOF
server:
    rundir: "$t/knot"
    listen: [ $knot@53, 2001:db8::2@53 ]
log:
  - target: stderr
    any: info
database:
    storage: "$t/knot/db"
key:
  - id: dr-key
    algorithm: hmac-sha256
    secret: $sec256
  - id: dr-512
    algorithm: hmac-sha512
    secret: $sec512
  - id: other-key
    algorithm: hmac-sha256
    secret: $secother
acl:
  - id: update
    key: [ dr-key, dr-512, other-key ]
    action: update
  - id: other-only
    key: other-key
    action: update
template:
  - id: default
    storage: "$t/knot"
    file: "%s.zone"
zone:
  - domain: example.test
    acl: update
  - domain: other.test
    acl: other-only
EOF
ip netns exec "$ns" knotd -c "$t/knot/knot.conf" > "$t/knot/log" 2>&1 &
pids="$pids $!"

ready() { # server zone
	i=0
	while [ $i -lt 100 ]; do
		in_ns dig +short +time=1 +tries=1 @"$1" "$2" SOA 2>/dev/null |
			grep -q "ns1.$2" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
if ! ready $bind example.test || ! ready $bind signed.test; then
	not_ok "BIND starts in $ns" "$(tail -n 20 "$t/bind/log")"
	summary; exit 1
fi
if ! ready $knot example.test; then
	not_ok "Knot starts in $ns" "$(tail -n 20 "$t/knot/log")"
	summary; exit 1
fi
ok "BIND and Knot answer in namespace $ns"
# The teardown kills these pids: they must be the daemons themselves.
comms=$(for p in $pids; do cat "/proc/$p/comm" 2>/dev/null; done | tr '\n' ' ')
if [ "$comms" = "named knotd " ]; then ok "the daemons' pids are known for the teardown"; else
	not_ok "the daemons' pids are known for the teardown" "pids $pids: $comms"; fi

# ---- helpers ----
r1="3 1 1 $(printf '%064d' 1)"
r2="3 1 1 $(printf '%064d' 2)"
r3="3 1 1 $(printf '%064d' 3)"
r4="3 1 1 $(printf '%064d' 4)"
r5="3 1 1 $(printf '%064d' 5)"

# What server serves at name, one record per line, sorted, lower case.
served() { # server name
	in_ns dig +short +nosplit +norecurse +time=2 +tries=1 @"$1" "$2" TLSA |
		tr 'A-F' 'a-f' | sort
}
# The records given as arguments, in the same form.
records() { for r in "$@"; do echo "$r"; done | sort; }
ttl_of() { # server name
	in_ns dig +noall +answer +norecurse @"$1" "$2" TLSA |
		awk '{ print $2 }' | sort -u
}
# Runs the driver for one case: name expect prev want [VAR=value ...]
out=""
publish() {
	name=$1 expect=$2 prev=$3 want=$4
	shift 4
	if out=$(in_ns env DANEROLL_LIVE_NS=$ns DANEROLL_LIVE_OWNER=$owner \
		DANEROLL_LIVE_ZONE=example.test DANEROLL_LIVE_KEY="$t/keys/bind256.key" \
		DANEROLL_LIVE_SECRET_FILE="$t/keys/sec256.txt" DANEROLL_LIVE_TIMEOUT=3 \
		DANEROLL_LIVE_PREV="$prev" DANEROLL_LIVE_WANT="$want" \
		DANEROLL_LIVE_EXPECT="$expect" "$@" "$live" 2>&1); then
		ok "$name"
		[ -n "${V:-}" ] && printf '%s\n' "$out" | grep '^# ' | sed 's/^# /    log: /'
	else
		not_ok "$name" "$out"
	fi
}
# Checks that server serves exactly the given records at name.
expect_served() { # name server owner record...
	n=$1 s=$2 o=$3
	shift 3
	got=$(served "$s" "$o")
	want=$(records "$@")
	if [ "$got" = "$want" ]; then
		ok "$n"
	else
		not_ok "$n" "served:
$got
wanted:
$want"
	fi
}
# Changes the RRset behind daneroll's back, as another editor would.
edit_behind() { # server keyfile command...
	s=$1 k=$2
	shift 2
	{
		echo "server $s"
		echo "zone example.test"
		for c in "$@"; do echo "$c"; done
		echo "send"
	} > "$t/edit"
	if [ "$s" = $bind ]; then
		in_ns nsupdate -k "$k" "$t/edit"
	else
		in_ns knsupdate -k "$k" "$t/edit"
	fi
}

# ---- the same cases against both servers ----
for srv in bind knot; do
	# BIND refuses an update its update-policy does not allow; Knot
	# answers BADKEY when no ACL of the zone names the key.
	if [ $srv = bind ]; then
		a=$bind
		key=$t/keys/bind256.key
		refused="the server refused the update (REFUSED): key dr-key."
	else
		a=$knot
		key=$t/keys/simple256.key
		refused="does not accept TSIG key dr-key. (BADKEY)"
	fi
	S="DANEROLL_LIVE_SERVER=$a DANEROLL_LIVE_KEY=$key"

	# shellcheck disable=SC2086
	publish "$srv: add to an empty RRset" ok "" "$r1;$r2" $S
	expect_served "$srv: serves the two added records" $a $owner "$r1" "$r2"

	# shellcheck disable=SC2086
	publish "$srv: replace one record in one update" ok "$r1;$r2" "$r2;$r3" $S
	expect_served "$srv: serves the replaced RRset" $a $owner "$r2" "$r3"

	# The same change again, as after a crash before it was recorded.
	# shellcheck disable=SC2086
	publish "$srv: re-sent change is idempotent (OK)" ok "$r1;$r2" "$r2;$r3" \
		DANEROLL_LIVE_LOG="already serves the wanted RRset" $S
	expect_served "$srv: unchanged after the re-sent change" $a $owner "$r2" "$r3"

	edit_behind $a "$key" "update add $owner. 300 TLSA $r4"
	expect_served "$srv: another editor added a record" $a $owner "$r2" "$r3" "$r4"
	# shellcheck disable=SC2086
	publish "$srv: stale prev is a concurrent edit (PERMFAIL)" permfail \
		"$r2;$r3" "$r3;$r5" \
		DANEROLL_LIVE_LOG="concurrent edit at $owner: server has" $S
	expect_served "$srv: nothing changed on a concurrent edit" $a $owner "$r2" "$r3" "$r4"

	# shellcheck disable=SC2086
	publish "$srv: TTL change re-adds every record" ok "$r2;$r3;$r4" "$r2;$r3;$r4" \
		DANEROLL_LIVE_TTL=1200 $S
	got=$(ttl_of $a $owner)
	if [ "$got" = 1200 ]; then ok "$srv: serves TTL 1200"; else
		not_ok "$srv: serves TTL 1200" "TTLs: $got"; fi

	# shellcheck disable=SC2086
	publish "$srv: empty want deletes the RRset" ok "$r2;$r3;$r4" "" $S
	expect_served "$srv: serves no TLSA records after the delete" $a $owner

	# shellcheck disable=SC2086
	publish "$srv: delete of an absent RRset is idempotent" ok "$r2;$r3;$r4" "" $S

	# shellcheck disable=SC2086
	publish "$srv: add after delete" ok "" "$r1" $S
	# shellcheck disable=SC2086
	publish "$srv: wrong TSIG secret is BADSIG (PERMFAIL)" permfail "$r1" "$r2" \
		DANEROLL_LIVE_LOG="BADSIG" $S DANEROLL_LIVE_KEY="$t/keys/wrong.key" \
		DANEROLL_LIVE_SECRET_FILE="$t/keys/secwrong.txt"
	# shellcheck disable=SC2086
	publish "$srv: unknown TSIG key is BADKEY (PERMFAIL)" permfail "$r1" "$r2" \
		DANEROLL_LIVE_LOG="BADKEY" $S DANEROLL_LIVE_KEY="$t/keys/unknown.key" \
		DANEROLL_LIVE_SECRET_FILE="$t/keys/secwrong.txt"
	expect_served "$srv: nothing changed by rejected keys" $a $owner "$r1"

	# shellcheck disable=SC2086
	publish "$srv: zone the key may not update is refused (PERMFAIL)" permfail \
		"" "$r1" DANEROLL_LIVE_OWNER=_25._tcp.mx1.other.test \
		DANEROLL_LIVE_ZONE=other.test DANEROLL_LIVE_LOG="$refused" $S
	expect_served "$srv: nothing added to the refused zone" $a _25._tcp.mx1.other.test

	# Zone cut and primary found by SOA queries (the server as resolver).
	# shellcheck disable=SC2086
	publish "$srv: zone and SOA MNAME found through the resolver" ok "$r1" "$r1;$r5" \
		DANEROLL_LIVE_KEY="$key" DANEROLL_LIVE_ZONE= DANEROLL_LIVE_SERVER= \
		DANEROLL_LIVE_RESOLVER=$a
	expect_served "$srv: serves the update sent to the MNAME" $a $owner "$r1" "$r5"

	# hmac-sha512 from a Knot-format key file.
	# shellcheck disable=SC2086
	publish "$srv: hmac-sha512 key (Knot format)" ok "$r1;$r5" "$r5" $S \
		DANEROLL_LIVE_KEY="$t/keys/knot512.key" DANEROLL_LIVE_SECRET_FILE="$t/keys/sec512.txt"
	expect_served "$srv: serves the hmac-sha512 update" $a $owner "$r5"
done

# ---- BIND only ----
publish "bind: hmac-sha384 key" ok "$r5" "$r1" DANEROLL_LIVE_SERVER=$bind \
	DANEROLL_LIVE_KEY="$t/keys/bind384.key" DANEROLL_LIVE_SECRET_FILE="$t/keys/sec384.txt"
expect_served "bind: serves the hmac-sha384 update" $bind $owner "$r1"

publish "bind: update over IPv6" ok "$r1" "$r1;$r2" "DANEROLL_LIVE_SERVER=2001:db8::1#53"
expect_served "bind: serves the IPv6 update" $bind $owner "$r1" "$r2"
publish "bind: back to one record" ok "$r1;$r2" "$r1" DANEROLL_LIVE_SERVER=$bind

# A read-back larger than 512 bytes: the answer is truncated over UDP and
# fetched again over TCP.
big=""
i=10
while [ $i -lt 22 ]; do
	big="$big;3 1 2 $(printf '%0128d' $i)"
	i=$((i + 1))
done
big=${big#;}
publish "bind: add 12 SHA-512 records" ok "$r1" "$big" DANEROLL_LIVE_SERVER=$bind
publish "bind: re-sent large change reads back over TCP (OK)" ok "$r1" "$big" \
	DANEROLL_LIVE_SERVER=$bind DANEROLL_LIVE_LOG="truncated; asking again over TCP"
n=$(served $bind $owner | wc -l)
if [ "$n" -eq 12 ]; then ok "bind: serves the 12 records"; else
	not_ok "bind: serves the 12 records" "got $n"; fi

# Nothing listens there: tries, then TEMPFAIL.
publish "unreachable server is TEMPFAIL" tempfail "" "$r1" \
	DANEROLL_LIVE_SERVER=192.0.2.9 DANEROLL_LIVE_TIMEOUT=3 \
	DANEROLL_LIVE_LOG="no answer in 3 tries"

# Inline-signed zone: the update is signed by BIND.
publish "bind: update in an inline-signed zone" ok "" "$r1;$r2" \
	DANEROLL_LIVE_SERVER=$bind DANEROLL_LIVE_ZONE=signed.test \
	DANEROLL_LIVE_OWNER=_25._tcp.mx1.signed.test
i=0
while [ $i -lt 50 ]; do
	in_ns dig +dnssec +norecurse @$bind _25._tcp.mx1.signed.test TLSA |
		grep -q 'RRSIG.*TLSA' && break
	sleep 0.1; i=$((i + 1))
done
if in_ns dig +dnssec +norecurse @$bind _25._tcp.mx1.signed.test TLSA |
	grep -q 'RRSIG.*TLSA'; then
	ok "bind: the published TLSA RRset is DNSSEC-signed"
else
	not_ok "bind: the published TLSA RRset is DNSSEC-signed" \
		"$(in_ns dig +dnssec +norecurse @$bind _25._tcp.mx1.signed.test TLSA)"
fi
expect_served "bind: signed zone serves the records" $bind _25._tcp.mx1.signed.test "$r1" "$r2"

# ---- the exec publisher with hooks/dns/nsupdate, against BIND ----
hook="$top/hooks/dns/nsupdate"
H="DANEROLL_LIVE_COMMAND=$hook -k $t/keys/bind256.key -s $bind"
publish "exec nsupdate hook: add" ok "" "$r1;$r2" "$H"
expect_served "exec nsupdate hook: serves the added records" $bind $owner "$r1" "$r2"
publish "exec nsupdate hook: replace" ok "" "$r3" "$H"
expect_served "exec nsupdate hook: serves the replacement" $bind $owner "$r3"
publish "exec nsupdate hook: delete" ok "" "" "$H"
expect_served "exec nsupdate hook: serves nothing after the delete" $bind $owner
publish "exec nsupdate hook: REFUSED is PERMFAIL" permfail "" "$r1" \
	"$H" DANEROLL_LIVE_OWNER=_25._tcp.mx1.other.test DANEROLL_LIVE_ZONE=other.test \
	DANEROLL_LIVE_LOG="update failed: REFUSED"
publish "exec nsupdate hook: wrong secret is PERMFAIL" permfail "" "$r1" \
	"DANEROLL_LIVE_COMMAND=$hook -k $t/keys/wrong.key -s $bind" \
	DANEROLL_LIVE_SECRET_FILE="$t/keys/secwrong.txt" DANEROLL_LIVE_LOG="exit 1"
publish "exec nsupdate hook: unreachable server is TEMPFAIL" tempfail "" "$r1" \
	"DANEROLL_LIVE_COMMAND=$hook -k $t/keys/bind256.key -s 192.0.2.9" \
	DANEROLL_LIVE_LOG="will retry"
expect_served "exec nsupdate hook: failures changed nothing" $bind $owner

# No secret in any server-side log either (we never sent it anywhere).
if grep -qF -e "$sec256" -e "$sec512" "$t/bind/log" "$t/knot/log"; then
	not_ok "no secret in the server logs"
else
	ok "no secret in the server logs"
fi

summary
