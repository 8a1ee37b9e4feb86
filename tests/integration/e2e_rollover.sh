#!/bin/sh
# End to end: the demo as a test. A complete current+next rollover of an
# RSA + ECDSA MX host in the namespace world (BIND9 primary and secondary,
# unbound, pebble + certbot, Postfix), with the independent prober
# handshaking with every address and algorithm once a second: zero
# failures, the old keys' records gone, the new ones served.
set -u
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
needs_root "end-to-end rollover" "needs root and ip netns" ip
W=/tmp/daneroll-e2e.$$
log=$(mktemp)
trap 'rm -f "$log"' EXIT
DEMO_DIR=$W DEMO_NS=dre2e timeout 600 bash "$top/tests/world/demo.sh" >"$log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "the rollover completes (exit 0)" || not_ok "the rollover completes (exit 0)" "$(tail -n 20 "$log")"

probes=$(sed -n 's/^prober: probes \([0-9]*\) failures \([0-9]*\)$/\1/p' "$log")
fails=$(sed -n 's/^prober: probes \([0-9]*\) failures \([0-9]*\)$/\2/p' "$log")
echo "# prober: ${probes:-?} probes, ${fails:-?} failures"
[ "${probes:-0}" -ge 40 ] && ok "the prober ran throughout (${probes:-0} probes)" || not_ok "the prober ran throughout" "probes=${probes:-none}"
[ "${fails:-1}" -eq 0 ] && ok "zero failed DANE handshakes" || not_ok "zero failed DANE handshakes" "$(grep ' FAIL ' "$log" | head)"

for alg in rsa2048 ecdsa-p256; do
	n=$(grep -c "mx1.example/$alg: verifying -> publishing: verified on every address" "$log")
	[ "$n" -ge 1 ] && ok "$alg: verified live before its old record retired" || not_ok "$alg: verified live before its old record retired"
done
# Information, not a check: NOTIFY may beat the first poll.
if grep -q "waiting for 192.0.2.2 (ns2.example.)" "$log"; then
	echo "# the secondary lagged and was waited for, by name"
fi
[ "$(grep -c 'ageing -> standby' "$log")" -ge 4 ] && ok "both slots back in standby after the rollover" || not_ok "both slots back in standby after the rollover"
wall=$(sed -n 's/^rollover wall time: \([0-9]*\) s.*/\1/p' "$log")
echo "# rollover wall time: ${wall:-?} s (TTL 5 s)"
[ -n "$wall" ] && [ "$wall" -lt 120 ] && ok "rollover within 120 s at TTL 5 s (${wall} s)" || not_ok "rollover within 120 s" "wall=$wall"
summary
