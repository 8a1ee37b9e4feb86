#!/bin/bash
# make demo: one complete "current + next" rollover of a real MX host, in
# a world of real servers, watched by an independent DANE prober.
#
#   BIND9 primary + secondary (DNSSEC, TSIG updates), unbound validating,
#   pebble (ACME) with certbot, Postfix with an RSA and an ECDSA chain.
#
# 1. daneroll plans, then takes mx1 under management: adopts the two live
#    keys, pre-generates the next keys, publishes current + next through
#    RFC 2136, proves every authoritative address serves them, waits out
#    the TTL.
# 2. A rollover (forced, as `daneroll roll` does): certbot gets
#    certificates for the pre-published keys from pebble, daneroll deploys
#    them into Postfix, verifies them live on every address, and retires
#    the old records.
# All along, the prober handshakes with every address and algorithm once
# a second and counts DANE failures. Then the world is torn down, and the
# last line is the verdict: "demo: PASS - rollover N s, N probes, 0
# failures", or "demo: FAIL - ..." saying what failed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${DANEROLL_BIN:-$top/daneroll}
W=${DEMO_DIR:-/tmp/daneroll-demo}
NS=${DEMO_NS:-drdemo}
export WORLD_DIR=$W WORLD_NS=$NS

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo needs root: it builds a network namespace of servers" >&2
	exit 77
fi
stage="starting" verdict=""
if [ -t 1 ]; then
	bold() { stage=$*; printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	bold() { stage=$*; printf '\n== %s\n' "$*"; }
fi
# On any exit: the world torn down, then the verdict as the last line.
finish() {
	rc=$?
	[ -d "$W/probe" ] && touch "$W/probe/stop"
	sleep 1
	bash "$top/tests/world/down.sh" --dir "$W" --ns "$NS" >/dev/null 2>&1 || true
	[ -n "$verdict" ] || verdict="demo: FAIL - stopped (exit $rc) at: $stage"
	echo "$verdict"
}
trap finish EXIT

bold "Bringing up the world (namespace $NS)"
bash "$top/tests/world/up.sh" --dir "$W" --ns "$NS" | tail -n 1
# shellcheck source=tests/world/lib.sh
. "$top/tests/world/lib.sh"
# shellcheck source=/dev/null
. "$W/env"
in_ns() { ip netns exec "$NS" "$@"; }

# certbot's settings for the adapter: pebble, its CA, private dirs.
D=$W/daneroll
mkdir -p "$D/www" "$D/certbot"
world_certbot_conf "$D"
# The demo's configuration: the world's, as the end-to-end tests use it.
umask 077
{
	world_daneroll_global "$D"
	cat <<CONF
[host mx1.example]
algorithms = rsa2048 ecdsa-p256
combined_file = $W/mx1/%a.pem
publisher = bind
acme_hook = $top/hooks/acme/certbot $D/certbot.conf
reload = /usr/sbin/postfix -c $MX1_CONFIG_DIR reload
CONF
} >"$D/daneroll.conf"
umask 022
dr() { in_ns "$bin" -c "$D/daneroll.conf" "$@"; }

bold "The independent prober starts: every address, every algorithm, once a second"
targets="mx1.example:$MX1_V4:rsa2048 mx1.example:$MX1_V4:ecdsa-p256"
targets="$targets mx1.example:$MX1_V6:rsa2048 mx1.example:$MX1_V6:ecdsa-p256"
in_ns env POSTTLS_MAIL_CONFIG="$POSTTLS_MAIL_CONFIG" \
	bash "$top/tests/world/prober.sh" "$W/probe" $targets &
echo "targets: $targets"

bold "daneroll config check"
dr config check
bold "daneroll plan"
dr plan
bold "daneroll run --wait   (taking mx1 under management)"
dr run --wait
bold "daneroll records mx1.example"
dr records mx1.example

bold "daneroll roll mx1.example; daneroll run --wait   (the rollover)"
dr roll mx1.example
start=$(date +%s)
dr run --wait
end=$(date +%s)

bold "daneroll status"
dr status
touch "$W/probe/stop"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -f "$W/probe/summary" ] && break; sleep 1; done
bold "Summary"
echo "rollover wall time: $((end - start)) s; its floor: issuance, reload and the live check, then the following next record's propagation + TTL 5 s + margin 2 s"
echo "prober: $(cat "$W/probe/summary" 2>/dev/null || echo 'no summary')"
# "probes N failures F"
probes=$(awk '{ print $2 }' "$W/probe/summary" 2>/dev/null)
fails=$(awk '{ print $4 }' "$W/probe/summary" 2>/dev/null)
verdict="rollover $((end - start)) s, ${probes:-no} probes, ${fails:-unknown} failures"
if grep -q ' FAIL ' "$W/probe/log"; then
	echo "prober failures:"
	grep ' FAIL ' "$W/probe/log" | head -n 10
	verdict="demo: FAIL - $verdict"
	exit 1
fi
if [ "${probes:-0}" -gt 0 ] 2>/dev/null && [ "$fails" = 0 ]; then
	verdict="demo: PASS - $verdict"
else
	verdict="demo: FAIL - $verdict (the prober did not report)"
	exit 1
fi
