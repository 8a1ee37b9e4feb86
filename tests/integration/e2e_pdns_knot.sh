#!/bin/bash
# End to end: one MX server under three names in three zones, published
# by three publishers, through a full "current + next" rollover of both
# algorithms, driving the real daneroll binary in the namespace world:
#
#   mx1.example       zone example.        RFC 2136 + TSIG to BIND (primary
#                                          and secondary, v4 and v6)
#   mx.pdns.example   zone pdns.example.   PowerDNS HTTP API
#   mx.knot.example   zone knot.example.   RFC 2136 + TSIG to Knot
#
# Every owner's TLSA RRset is kept in step with the same keys; propagation
# is proven for each zone before any key is deployed; at the end each
# zone's servers are asked with dig. pebble + certbot issue certificates
# covering all three names. The prober handshakes with every name, address
# and algorithm once a second throughout.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -u
# shellcheck source=tests/integration/e2elib
. "$(dirname "$0")/e2elib"
e2e_start pdns "end-to-end rollover through BIND, PowerDNS and Knot" certbot pdns_server knotd
e2e_certbot_settings
{
	e2e_global
	e2e_pdns_publisher
	cat <<CONF
[publisher knot]
type = rfc2136
server = $KNOT_V4
zone = knot.example
tsig_key_file = $KNOT_TSIG_KEY_FILE

CONF
	e2e_mx1 mx1.example bind "alias = mx.pdns.example pdns" \
	    "alias = mx.knot.example knot" "acme_hook = $CERTBOT_HOOK"
} >"$D/daneroll.conf"
chmod 600 "$D/daneroll.conf"

targets=
for name in mx1.example mx.pdns.example mx.knot.example; do
	for a in "$MX1_V4" "$MX1_V6"; do
		for alg in rsa2048 ecdsa-p256; do targets="$targets $name:$a:$alg"; done
	done
done
# shellcheck disable=SC2086
e2e_prober $targets
sleep 2
check "config check" dr config check

# Each owner and the servers of its zone.
owners="_25._tcp.mx1.example _25._tcp.mx.pdns.example _25._tcp.mx.knot.example"
servers_of() {
	case $1 in
	*mx1.example) echo "$NS1_V4 $NS1_V6 $NS2_V4 $NS2_V6" ;;
	*pdns.example) echo "$PDNS_V4 $PDNS_V6" ;;
	*knot.example) echo "$KNOT_V4 $KNOT_V6" ;;
	esac
}
# in_step WANT_SPKI... : every server of every zone serves exactly the
# 3 1 1 records of these SPKIs; prints the differences.
in_step() {
	local want o s got bad=0
	want=$(for k in "$@"; do echo "3 1 1 $k"; done | sort)
	for o in $owners; do
		for s in $(servers_of "$o"); do
			got=$(tlsa_at "$s" "$o")
			if [ "$got" != "$want" ]; then
				echo "$o @$s: $(echo "$got" | tr '\n' ' ')"
				bad=1
			fi
		done
	done
	return $bad
}
spkis() { # field (current_spki|next_spki): both algorithms' values
	jq -r ".hosts[0].slots[] | .$1" "$LOGDIR/status.json"
}

# ---------------------------------------------------------------- 1
if DR_TIMEOUT=150 dr_ts run --wait >/dev/null; then ok "taken under management (run --wait exit 0)"; else not_ok "taken under management (exit $?)" "$(tail -n 15 "$LOGDIR/daneroll.log")"; fi
dr status --json mx1.example 2>/dev/null | json_keep status mx1.example >"$LOGDIR/status.json"
cur1=$(spkis current_spki)
next1=$(spkis next_spki)
live_rsa0=$(live_spki "$MX1_V4" mx1.example rsa2048)
live_ec0=$(live_spki "$MX1_V4" mx1.example ecdsa-p256)
echo "$cur1" | grep -q "$live_rsa0" && echo "$cur1" | grep -q "$live_ec0" &&
	ok "the live keys adopted as current" || not_ok "the live keys adopted as current" "$cur1 / $live_rsa0 $live_ec0"
[ "$(echo "$next1" | grep -c '^[0-9a-f]\{64\}$')" -eq 2 ] && ok "a next key for each algorithm" || not_ok "a next key for each algorithm" "$next1"
# shellcheck disable=SC2086
if diff=$(in_step $cur1 $next1); then
	ok "current + next of both algorithms served at all three owners by every server of each zone"
else
	not_ok "current + next served at all three owners by every server" "$diff"
fi
for o in $owners; do
	grep -q "$o: all [0-9]* authoritative addresses serve the RRset" "$LOGDIR/daneroll.log" &&
		ok "propagation proven at $o" || not_ok "propagation proven at $o"
done

# ---------------------------------------------------------------- 2
mark=$(wc -l <"$LOGDIR/daneroll.log")
dr roll mx1.example >/dev/null
start=$(date +%s)
if DR_TIMEOUT=170 dr_ts run --wait >/dev/null; then ok "the rollover completes (exit 0)"; else not_ok "the rollover completes (exit $?)" "$(tail -n 15 "$LOGDIR/daneroll.log")"; fi
echo "# rollover wall time: $(($(date +%s) - start)) s (TTL 5 s)"
tail -n +"$((mark + 1))" "$LOGDIR/daneroll.log" >"$LOGDIR/roll.log"
dr status --json mx1.example 2>/dev/null | json_keep status mx1.example >"$LOGDIR/status.json"
cur2=$(spkis current_spki)
next2=$(spkis next_spki)
[ "$(echo "$cur2" | sort)" = "$(echo "$next1" | sort)" ] &&
	ok "the pre-published next keys became current" || not_ok "the pre-published next keys became current" "next1=$next1 cur2=$cur2"
for name in mx1.example mx.pdns.example mx.knot.example; do
	for a in "$MX1_V4" "$MX1_V6"; do
		r=$(live_spki "$a" "$name" rsa2048)
		e=$(live_spki "$a" "$name" ecdsa-p256)
		echo "$cur2" | grep -q "^$r\$" && echo "$cur2" | grep -q "^$e\$" &&
			ok "$name at $a serves the new RSA and ECDSA keys" ||
			not_ok "$name at $a serves the new RSA and ECDSA keys" "rsa=$r ec=$e"
	done
done
# The certificate covers all three names.
live_chain "$MX1_V4" mx1.example rsa2048 | openssl x509 -noout -ext subjectAltName >"$LOGDIR/san" 2>/dev/null
grep -q 'DNS:mx1.example' "$LOGDIR/san" && grep -q 'DNS:mx.pdns.example' "$LOGDIR/san" &&
	grep -q 'DNS:mx.knot.example' "$LOGDIR/san" &&
	ok "the new certificate covers mx1.example, mx.pdns.example and mx.knot.example" ||
	not_ok "the new certificate covers all three names" "$(cat "$LOGDIR/san")"
# Propagation proven in every zone before the first deploy of the
# rollover: the last "all addresses serve" line of each owner before it.
n_dep=$(grep -n -m1 'installed .* reloaded' "$LOGDIR/roll.log" | cut -d: -f1)
# The last word on each owner's propagation before the first deploy of the
# rollover must be "all N authoritative addresses serve" (not "waiting").
last_word() { # owner
	head -n "$((mark + ${n_dep:-0}))" "$LOGDIR/daneroll.log" |
		grep -E "$1: (all [0-9]* authoritative addresses serve|waiting for)" | tail -n 1
}
for o in $owners; do
	lw=$(last_word "$o")
	if [ -n "$n_dep" ] && echo "$lw" | grep -q ': all [0-9]* authoritative addresses serve'; then
		ok "$o proven served everywhere before the first deploy"
	else
		not_ok "$o proven served everywhere before the first deploy" "deploy line ${n_dep:-none}; last: $lw"
	fi
done
# The deploys came after the next records had aged in every zone: the
# next keys were first served everywhere during the management run.
t_proven=$(for o in $owners; do grep -m1 "$o: all [0-9]* authoritative" "$LOGDIR/daneroll.log" | cut -d' ' -f1; done | sort -n | tail -n 1)
t_dep=$(sed -n "${n_dep:-1}p" "$LOGDIR/roll.log" | cut -d' ' -f1)
[ -n "$t_proven" ] && [ -n "$t_dep" ] && ts_aged "$t_dep" "$t_proven" 5 &&
	ok "first deploy $(ts_sub "$t_dep" "$t_proven") s after the last zone served the next records (TTL 5 s)" ||
	not_ok "first deploy after the next records aged in every zone" "proven=$t_proven deploy=$t_dep"
# shellcheck disable=SC2086
if diff=$(in_step $cur2 $next2); then
	ok "at the end: new current + new next served in step at all three owners, old keys retired (dig at every server of each zone)"
else
	not_ok "at the end: the three RRsets in step at every server" "$diff"
fi
for k in $cur1; do
	for o in $owners; do
		for s in $(servers_of "$o"); do
			tlsa_at "$s" "$o" | grep -q "$k" && not_ok "old key $k retired at $o @$s"
		done
	done
done
# The PowerDNS API itself holds the RRset daneroll sent.
api=$(in_ns curl -sf -H @"$PDNS_API_HEADER_FILE" "$PDNS_API_URL/servers/$PDNS_SERVER_ID/zones/pdns.example." |
	jq -r '.rrsets[] | select(.type == "TLSA" and .name == "_25._tcp.mx.pdns.example.") | .records[].content' |
	awk '{ print $1, $2, $3, tolower($4) }' | sort)
want=$(for k in $cur2 $next2; do echo "3 1 1 $k"; done | sort)
grep -q 'published [0-9]* records at _25._tcp.mx.pdns.example' "$LOGDIR/daneroll.log" && [ "$api" = "$want" ] &&
	ok "published through the PowerDNS API (the API returns the new RRset)" ||
	not_ok "published through the PowerDNS API" "$api"
dr status --json mx1.example 2>/dev/null | json_keep status mx1.example >"$LOGDIR/status.json"
jq -e '[.hosts[0].slots[] | .state == "standby" and .alert == "ok"] | all' "$LOGDIR/status.json" >/dev/null &&
	ok "status --json: both slots standby, no alert" || not_ok "status --json: both slots standby, no alert" "$(jq -c '.hosts[0].slots' "$LOGDIR/status.json")"

# resolver set to BIND, the authoritative primary of example., for a host
# in the delegated child knot.example: BIND answers with a referral. The
# run refuses (69) and says what resolver must be, instead of polling
# example.'s servers for ever; nothing is published.
sed -e "s|^resolver = .*|resolver = $NS1_V4|" -e "s|^state_dir = .*|state_dir = $D/state-authres|" \
	"$D/daneroll.conf" >"$D/authres.conf"
cat >>"$D/authres.conf" <<CONF

[host mx.knot.example]
combined_file = $W/mx1/%a.pem
publisher = knot
acme_hook = /bin/true
reload = /bin/true
CONF
sed -i '/^\[host mx1.example\]/,/^reload = /d' "$D/authres.conf"
chmod 600 "$D/authres.conf"
out=$(in_ns "$DR_BIN" -c "$D/authres.conf" run mx.knot.example 2>&1); rc=$?
if [ $rc -eq 69 ] && echo "$out" | grep -q "resolver $NS1_V4: _25._tcp.mx.knot.example. SOA: a referral, not an answer" &&
    ! echo "$out" | grep -q "published"; then
	ok "resolver set to an authoritative server of the parent: refused (69), named, nothing published"
else not_ok "resolver set to an authoritative server of the parent: refused (69), named, nothing published" "rc=$rc $out"; fi

e2e_prober_stop
summary
