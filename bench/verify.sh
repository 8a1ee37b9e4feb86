#!/bin/sh
# Benchmark: live DANE verification of 20 MX endpoints with 50 ms of added
# latency each way, daneroll's concurrent check against a sequential
# posttls-finger loop over the same endpoints, in the same run, with
# identical verdicts required.
#
#   sh bench/verify.sh [ROUNDS]        (root; default 3 rounds)
#
# The world is tests/integration/verifyworld with VW_BENCH=1, in its own
# namespace (drverb): 20 names b1..b20.dr.test, each on its own address
# 192.0.2.101-120, where tests/tools/tcpfwd (-d 50) forwards to one Postfix
# listener (192.0.2.200) and delays every chunk by 50 ms in each
# direction. Every fifth name publishes a wrong TLSA record, so the
# verdicts are 16 "match" and 4 "mismatch" (posttls-finger: "Verified" and
# "Untrusted"). DNS is not delayed.
#
# daneroll runs through tests/unit/test_verify_live's check driver (the
# same check_main() that `daneroll check` will call). Prints per round the
# wall-clock times and the ratio, then the median ratio.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
rounds=${1:-3}
live=${DANEROLL_BUILD:-$top/build}/tests/test_verify_live
VW_TOP=$top VW_NS=drverb VW_DIR=/tmp/daneroll-verify-bench VW_BENCH=1
. "$top/tests/integration/verifyworld"

[ "$(id -u)" -eq 0 ] || { echo "bench/verify.sh: needs root" >&2; exit 77; }
[ -x "$live" ] || { echo "bench/verify.sh: build first: make check-build" >&2; exit 1; }
trap 'vw_down' EXIT
trap 'exit 130' INT TERM
vw_up || { echo "bench/verify.sh: world failed; see $VW_DIR/log" >&2; tail -n 5 "$VW_DIR"/log/*.log; exit 1; }
targets="" names=""
i=1
while [ $i -le 20 ]; do
	targets="$targets 192.0.2.$((100 + i)):25"
	names="$names b$i.dr.test"
	i=$((i + 1))
done
# shellcheck disable=SC2086
vw_spawn delay "$VW_DIR/tcpfwd" -d 50 -t 192.0.2.200:25 $targets
vw_wait 5 sh -c "ip netns exec $VW_NS bash -c 'exec 3<>/dev/tcp/192.0.2.101/25'" ||
	{ echo "bench/verify.sh: the forwarder does not listen" >&2; exit 1; }
VW_EXTRA_HOSTS=$names
export VW_EXTRA_HOSTS
vw_conf "$VW_DIR/bench.conf"

ms() { date +%s%3N; }
ratios=""
r=1
fail=0
while [ $r -le "$rounds" ]; do
	t0=$(ms)
	# shellcheck disable=SC2086
	ip netns exec "$VW_NS" "$live" check "$VW_DIR/bench.conf" $names \
		>"$VW_DIR/ours.out" 2>&1
	t1=$(ms)
	: >"$VW_DIR/finger.verdicts"
	for n in $names; do
		echo "$n $(vw_finger -a ipv4 "$n")" >>"$VW_DIR/finger.verdicts"
	done
	t2=$(ms)
	ours=$((t1 - t0)) theirs=$((t2 - t1))
	# Verdicts, endpoint by endpoint.
	awk '$1 ~ /^b[0-9]+\.dr\.test$/ { print $1, $4 }' "$VW_DIR/ours.out" |
		sed 's/ match$/ verified/; s/ mismatch$/ untrusted/' | sort >"$VW_DIR/ours.v"
	sort "$VW_DIR/finger.verdicts" >"$VW_DIR/theirs.v"
	nv=$(grep -c verified "$VW_DIR/ours.v") nu=$(grep -c untrusted "$VW_DIR/ours.v")
	if cmp -s "$VW_DIR/ours.v" "$VW_DIR/theirs.v" && [ "$nv" -eq 16 ] && [ "$nu" -eq 4 ]; then
		same="identical verdicts (16 verified, 4 untrusted)"
	else
		same="VERDICTS DIFFER"
		fail=1
		diff "$VW_DIR/ours.v" "$VW_DIR/theirs.v" >&2
	fi
	ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.1f", a / b }')
	ratios="$ratios $ratio"
	printf 'round %d: daneroll check %d ms, posttls-finger loop %d ms, ratio %sx, %s\n' \
		"$r" "$ours" "$theirs" "$ratio" "$same"
	r=$((r + 1))
done
med=$(echo "$ratios" | tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "20 endpoints, 50 ms each way: median speed-up ${med}x over $rounds round(s)"

# The strongest peer: 20 posttls-finger at once (xargs -P 20), each with
# its own output; then both again with the resolver 50 ms away as well
# (bench/delayfwd.py on 192.0.2.99 before unbound), where a check that
# looked names up one at a time would wait 60 round trips (A, AAAA and
# TLSA of 20 names).
pfinger() {
	printf '%s\n' $names | MAIL_CONFIG=$VW_DIR/posttls xargs -P 20 -I{} \
		ip netns exec "$VW_NS" sh -c '/usr/sbin/posttls-finger -l dane-only \
		-a ipv4 -t 5 -T 5 "[{}]:25" >"$0/pf.{}.out" 2>&1' "$VW_DIR"
	grep -l "Verified TLS connection established" "$VW_DIR"/pf.*.out | wc -l
}
parallel_round() {
	t0=$(ms)
	ip netns exec "$VW_NS" "$live" check "$1" $names >"$VW_DIR/ours.out" 2>&1
	t1=$(ms)
	nv=$(pfinger)
	t2=$(ms)
	nm=$(awk '$1 ~ /^b[0-9]+\.dr\.test$/ && $4 == "match"' "$VW_DIR/ours.out" | wc -l)
	[ "$nm" -eq 16 ] && [ "$nv" -eq 16 ] || { echo "verdicts: daneroll $nm match, posttls-finger $nv verified (want 16)" >&2; fail=1; }
	printf '%s: daneroll check %d ms, xargs -P 20 posttls-finger %d ms, ratio %sx\n' \
		"$2" $((t1 - t0)) $((t2 - t1)) \
		"$(awk -v a=$((t2 - t1)) -v b=$((t1 - t0)) 'BEGIN { printf "%.2f", a / b }')"
}
parallel_round "$VW_DIR/bench.conf" "resolver near"
vw_nsx ip addr add 192.0.2.99/32 dev lo
vw_spawn slowdns python3 "$here/delayfwd.py" 127.0.0.1 50 192.0.2.99
vw_wait 5 ip netns exec "$VW_NS" dig +short +time=1 +tries=1 @192.0.2.99 b1.dr.test A ||
	{ echo "bench/verify.sh: the delaying forwarder does not answer" >&2; exit 1; }
sed 's/^resolver = .*/resolver = 192.0.2.99/' "$VW_DIR/bench.conf" >"$VW_DIR/far.conf"
cp "/etc/netns/$VW_NS/resolv.conf" "$VW_DIR/resolv.near"
printf 'nameserver 192.0.2.99\noptions trust-ad edns0\n' >"/etc/netns/$VW_NS/resolv.conf"
parallel_round "$VW_DIR/far.conf" "resolver 50 ms away"
cp "$VW_DIR/resolv.near" "/etc/netns/$VW_NS/resolv.conf"
exit $fail
