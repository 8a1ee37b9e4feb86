#!/bin/sh
# Live DANE verification against real servers in the network namespace
# drver (tests/integration/verifyworld): BIND 9 with DNSSEC-signed zones
# (inline signing), unbound validating with the zones' keys as trust
# anchors, Postfix with STARTTLS on one listener per MX address.
#
# 1. The live C cases (tests/unit/test_verify_live.c): per-address verdicts,
#    DNS statuses, the engine's verifier, check findings per host.
# 2. Every verdict of `check` (driven by test_verify_live check ...) is
#    cross-checked against posttls-finger -l dane-only on the same
#    endpoint, and where it applies against ldns-dane (its own DNSSEC
#    validation from the trust anchor, chain fetched with openssl s_client).
# 3. The Nagios exit status, JSON output and the Prometheus textfile.
#
# Needs root (ip netns); skips otherwise. About 40 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/testlib"
top=${DANEROLL_TOP:-$(cd "$here/../.." && pwd)}
build=${DANEROLL_BUILD:-$top/build}
live=$build/tests/test_verify_live
VW_TOP=$top
VW_NS=drver
VW_DIR=${VW_DIR:-/tmp/daneroll-verify}
. "$here/verifyworld"

if [ "$(id -u)" -ne 0 ]; then
	skip "live verification" "needs root for ip netns"
	summary; exit 0
fi
for b in ip named named-checkconf unbound unbound-checkconf dig openssl cc \
	script posttls-finger ldns-dane /usr/lib/postfix/sbin/master; do
	if ! command -v "$b" >/dev/null 2>&1; then
		skip "live verification" "missing $b (sh tests/deps.sh world)"
		summary; exit 0
	fi
done
if [ ! -x "$live" ]; then
	skip "live verification" "no $live (make check-build)"
	summary; exit 0
fi

trap 'vw_down' EXIT
trap 'exit 130' INT TERM
t0=$(date +%s)
if vw_up; then
	ok "world up in $(($(date +%s) - t0)) s: BIND (dr.test, soon.test, bad.test signed; plain.test not), unbound, Postfix"
else
	not_ok "world up" "$(tail -n 5 "$VW_DIR"/log/*.log 2>/dev/null)"
	summary; exit 1
fi
conf=$VW_DIR/d.conf
vw_conf "$conf"

# 1. The C cases, live; their lines count here.
ip netns exec "$VW_NS" env DANEROLL_LIVE=1 DANEROLL_LIVE_CONF="$conf" \
	"$live" >"$VW_DIR/live.out" 2>&1
rc=$?
grep -E '^(ok|not ok|    )' "$VW_DIR/live.out" | sed 's/^ok - /ok - live: /; s/^not ok - /not ok - live: /'
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$VW_DIR/live.out" | tail -n 1)
if [ -z "$line" ]; then
	not_ok "live C cases ran" "$(tail -n 20 "$VW_DIR/live.out")"
else
	PASS=$((PASS + ${line%% passed*}))
	f=${line#* passed, }; FAIL=$((FAIL + ${f%% failed*}))
	[ "$rc" -eq 0 ] || [ "${f%% failed*}" -ne 0 ] || not_ok "live C cases exit status" "rc=$rc"
fi

# 2. One check over every host, then the judges endpoint by endpoint.
ip netns exec "$VW_NS" "$live" check "$conf" \
	--prometheus "$VW_DIR/metrics.prom" >"$VW_DIR/check.out" 2>"$VW_DIR/check.err"
check_rc=$?
ours() { # NAME ADDR ALG: the RESULT column of check's table
	awk -v n="$1" -v a="$2" -v g="$3" \
		'$1 == n && $2 == a && $3 == g { print $4; exit }' "$VW_DIR/check.out"
}
finding() { # HOST CODE: 1 if check reported it
	grep -Eq "^(CRITICAL|WARNING|UNKNOWN) +$1 +$2 " "$VW_DIR/check.out" && echo yes || echo no
}
# ldns-dane, validating DNSSEC itself from the trust anchor, on the chain
# openssl s_client fetched from ADDR (sigalgs forced per algorithm).
ldns_verdict() { # NAME ADDR ALG
	case $3 in
	rsa2048) sa=rsa_pss_rsae_sha256:rsa_pkcs1_sha256 ;;
	*) sa=ecdsa_secp256r1_sha256 ;;
	esac
	case $2 in *:*) c="[$2]:25" ;; *) c="$2:25" ;; esac
	echo QUIT | ip netns exec "$VW_NS" timeout 10 openssl s_client -connect "$c" \
		-starttls smtp -servername "$1" -sigalgs "$sa" -showcerts 2>/dev/null |
		awk '/BEGIN CERT/,/END CERT/' >"$VW_DIR/chain.pem"
	if ip netns exec "$VW_NS" ldns-dane -k "$VW_DIR/ta.key" -c "$VW_DIR/chain.pem" \
		verify "$1" 25 >"$VW_DIR/ldns.out" 2>&1; then
		echo validated
	elif grep -q "no matching DANE TLSA" "$VW_DIR/ldns.out"; then
		echo no-match
	else
		echo other
	fi
}
vw_nsx dig +short +norec @192.0.2.53 dr.test DNSKEY |
	awk '$1 == 257 { k = ""; for (i = 4; i <= NF; i++) k = k $i;
		print "dr.test. IN DNSKEY " $1 " " $2 " " $3 " " k }' >"$VW_DIR/ta.key"

# case | name | address | alg | posttls-finger options | daneroll | finger | ldns-dane
while IFS='|' read -r what name addr alg fopt want_ours want_finger want_ldns; do
	[ -n "$what" ] || continue
	got_ours=$(ours "$name" "$addr" "$alg")
	# shellcheck disable=SC2086
	got_finger=$(vw_finger $fopt "$name")
	got_ldns=-
	[ "$want_ldns" = - ] || got_ldns=$(ldns_verdict "$name" "$addr" "$alg")
	msg="$what: $name [$addr] $alg: daneroll $got_ours, posttls-finger $got_finger, ldns-dane $got_ldns"
	if [ "$got_ours" = "$want_ours" ] && [ "$got_finger" = "$want_finger" ] &&
		[ "$got_ldns" = "$want_ldns" ]; then
		ok "$msg"
	else
		not_ok "$msg" "want daneroll $want_ours, posttls-finger $want_finger, ldns-dane $want_ldns
$(sed -n '1,12p' "$VW_DIR/finger.out")"
	fi
done <<'EOF'
correct host|mx1.dr.test|192.0.2.11|ecdsa-p256|-a ipv4|match|verified|validated
correct host, IPv6|mx1.dr.test|2001:db8::11|ecdsa-p256|-a ipv6|match|verified|validated
wrong record|mx2.dr.test|192.0.2.12|ecdsa-p256||mismatch|untrusted|no-match
STARTTLS not offered|mx3.dr.test|192.0.2.13|ecdsa-p256||no-starttls|no-starttls|-
expired certificate (DANE-EE ignores expiry)|mx4.dr.test|192.0.2.14|ecdsa-p256||match|verified|validated
RSA+ECDSA host, RSA chain|mx6.dr.test|192.0.2.16|rsa2048|-A rsa|mismatch|untrusted|no-match
RSA+ECDSA host, ECDSA chain|mx6.dr.test|192.0.2.16|ecdsa-p256|-A ecdsa|match|verified|validated
RSA+ECDSA over TLS 1.2, RSA|mx11.dr.test|192.0.2.24|rsa2048|-A rsa|mismatch|untrusted|no-match
RSA+ECDSA over TLS 1.2, ECDSA|mx11.dr.test|192.0.2.24|ecdsa-p256|-A ecdsa|match|verified|validated
MX name is a CNAME (TLSA at the original name)|mxc.dr.test|192.0.2.17|ecdsa-p256||match|verified|-
CNAME with another RRset at the target|mxd.dr.test|192.0.2.19|ecdsa-p256||mismatch|untrusted|-
IPv6 serves another certificate: IPv4|mx8.dr.test|192.0.2.18|ecdsa-p256|-a ipv4|match|verified|validated
IPv6 serves another certificate: IPv6|mx8.dr.test|2001:db8::18|ecdsa-p256|-a ipv6|mismatch|untrusted|no-match
silent server|mxs.dr.test|192.0.2.20|ecdsa-p256||timeout|timeout|-
nothing listening|mxr.dr.test|192.0.2.21|ecdsa-p256||unreachable|unreachable|-
EOF

# DNS-level verdicts: no endpoint result to compare, the finding instead.
while IFS='|' read -r what name code want_finger; do
	got=$(finding "$name" "$code")
	got_finger=$(vw_finger "$name")
	if [ "$got" = yes ] && [ "$got_finger" = "$want_finger" ]; then
		ok "$what: $name: daneroll $code, posttls-finger $got_finger"
	else
		not_ok "$what: $name: daneroll $code=$got, posttls-finger $got_finger (want $want_finger)" \
			"$(grep "$name" "$VW_DIR/check.out" | head -5)"
	fi
done <<'EOF'
unsigned zone|mx5.plain.test|dnssec-unsigned|no-tlsa
bogus zone (wrong trust anchor)|mx7.bad.test|dnssec-bogus|lookup-error
EOF

# Findings that no judge gives: check's own.
for hc in mx4.dr.test:cert-expired mx9.soon.test:rrsig-expiring \
	mx9.soon.test:cert-expiring mx10.dr.test:ttl-advice \
	mx10.dr.test:shared-key mx1.dr.test:shared-key mxd.dr.test:cname-owner \
	mx2.dr.test:no-next-record; do
	if [ "$(finding "${hc%%:*}" "${hc#*:}")" = yes ]; then
		ok "check finds ${hc#*:} on ${hc%%:*}"
	else
		not_ok "check finds ${hc#*:} on ${hc%%:*}" "$(grep "${hc%%:*}" "$VW_DIR/check.out")"
	fi
done
if [ "$(finding mxc.dr.test cname-owner)" = no ] && [ "$(finding mx1.dr.test no-next-record)" = no ]; then
	ok "no false findings: mxc (TLSA at the original name) has no cname-owner, mx1 (current + next) no no-next-record"
else
	not_ok "no false findings on mxc, mx1" "$(grep 'mxc.dr.test\|mx1.dr.test' "$VW_DIR/check.out")"
fi

# 3. Outputs and exit statuses.
first=$(head -n 1 "$VW_DIR/check.out")
case $first in
"DANE CRITICAL - "*" | hosts=15;;;0 endpoints=18;;;0 "*) ok "Nagios status line: CRITICAL with perfdata" ;;
*) not_ok "Nagios status line" "$first" ;;
esac
[ "$check_rc" -eq 2 ] && ok "exit status 2 (CRITICAL) over all hosts" || not_ok "exit status 2 over all hosts" "rc=$check_rc"
ip netns exec "$VW_NS" "$live" check "$conf" mx1.dr.test >"$VW_DIR/one.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && head -n 1 "$VW_DIR/one.out" | grep -q "^DANE OK - 1 host, 2 of 2 endpoints"; then
	ok "exit status 0 (OK) for the correct host alone"
else
	not_ok "exit status 0 (OK) for the correct host alone" "rc=$rc $(cat "$VW_DIR/one.out")"
fi
ip netns exec "$VW_NS" "$live" check "$conf" mx9.soon.test >/dev/null 2>&1
rc=$?
[ $rc -eq 1 ] && ok "exit status 1 (WARNING) for expiring signatures and certificate" || not_ok "exit status 1 (WARNING)" "rc=$rc"
ip netns exec "$VW_NS" "$live" check "$conf" --json mx8.dr.test >"$VW_DIR/check.json" 2>"$VW_DIR/check.stderr"
rc=$?
json_keep check mx8.dr.test <"$VW_DIR/check.json" >/dev/null
if [ $rc -eq 2 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
h = d["hosts"][0]
r = {e["address"]: e["result"] for e in h["endpoints"]}
assert d["status"] == "CRITICAL" and d["exit_code"] == 2
assert r == {"192.0.2.18": "match", "2001:db8::18": "mismatch"}, r
assert h["endpoints"][0]["matched"] == {"usage": 3, "selector": 1, "mtype": 1, "depth": 0}
assert any(f["code"] == "tlsa-mismatch" and f["subject"] == "2001:db8::18 ecdsa-p256" for f in h["findings"])
' "$VW_DIR/check.json"; then
	ok "--json: per-address results, matched record, findings"
else
	not_ok "--json" "rc=$rc $(head -c 600 "$VW_DIR/check.json")"
fi
p=$VW_DIR/metrics.prom
if [ -f "$p" ] && [ "$(stat -c %a "$p")" = 644 ] &&
	grep -q '^daneroll_endpoint_dane_ok{host="mx8.dr.test",name="mx8.dr.test",address="2001:db8::18",alg="ecdsa-p256"} 0$' "$p" &&
	grep -q '^daneroll_check_status{host="mx1.dr.test"} 1$' "$p" &&
	grep -q '^daneroll_tlsa_ttl_seconds{host="mx10.dr.test"} 86400$' "$p" &&
	! ls "$VW_DIR"/.metrics.prom* >/dev/null 2>&1 &&
	awk '/^#/ { next } NF != 2 { bad = 1 } END { exit bad }' "$p"; then
	ok "--prometheus: textfile written atomically (0644, no temp left), metrics as expected"
else
	not_ok "--prometheus" "$(head -n 20 "$p" 2>/dev/null)"
fi
# 4. With daneroll's state beside it: a record that matches nothing
# daneroll deploys or stages is an orphan. `daneroll run` adopts mx1's
# deployed key and stages a new next key (then stops: this build has no
# publisher), so DNS's second record (mx1next) matches nothing known.
bin=${DANEROLL_BIN:-$top/daneroll}
if [ -x "$bin" ]; then
	mkdir -p "$VW_DIR/live"
	cp "$VW_DIR/certs/mx1.pem" "$VW_DIR/live/mx1.dr.test-ecdsa-p256.pem"
	printf 'key "dr" { algorithm hmac-sha256; secret "c2VjcmV0LXNob3VsZC1uZXZlci1sZWFr"; };\n' >"$VW_DIR/tsig.key"
	chmod 600 "$VW_DIR/live/mx1.dr.test-ecdsa-p256.pem" "$VW_DIR/tsig.key"
	"$bin" -c "$conf" run mx1.dr.test >"$VW_DIR/run.out" 2>&1
	ip netns exec "$VW_NS" "$live" check "$conf" mx1.dr.test >"$VW_DIR/state.out" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && [ -f "$VW_DIR/state/daneroll.db" ] &&
		grep -Eq "^WARNING +mx1.dr.test +orphan-record +3 1 1 $(vw_tlsa mx1next):" "$VW_DIR/state.out" &&
		! grep -q "orphan-record +3 1 1 $(vw_tlsa mx1)" "$VW_DIR/state.out"; then
		ok "with daneroll's state: the record of no known key is an orphan (WARNING), the deployed key's is not"
	else
		not_ok "orphan records with daneroll's state" "rc=$rc $(cat "$VW_DIR/state.out" "$VW_DIR/run.out")"
	fi
else
	skip "orphan records with daneroll's state" "no daneroll binary"
fi

el=$(($(date +%s) - t0))
[ $el -lt 120 ] && ok "whole run in $el s (< 120 s)" || not_ok "whole run in $el s (< 120 s)"
summary
