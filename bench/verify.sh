#!/bin/sh
# Benchmark: live DANE verification of N MX endpoints across a true 50 ms
# round trip: daneroll's concurrent check against the strongest peer, N
# posttls-finger at once (xargs -P N), over the same endpoints and the same
# resolver, in the same run, with identical verdicts required.
#
#   sh bench/verify.sh [ROUNDS]          (root; N=20 by default, 3 rounds)
#   N=200 sh bench/verify.sh 3
#   RTT=0 N=200 sh bench/verify.sh 3     (the round trip, ms; default 50)
#
# The servers are tests/integration/verifyworld with VW_BENCH=N, in the
# namespace drverb: names b1..bN.dr.test on 198.18.0.1..N, which tcpfwd
# hands to one Postfix listener (192.0.2.200). Every fifth name publishes
# a wrong TLSA record, so 4/5 of the verdicts are "match" (posttls-finger:
# "Verified") and the rest "mismatch" ("Untrusted").
#
# Both clients run in a second namespace, drverbc, joined to the first by
# bench/delayline.py: every IP packet waits 25 ms each way, TCP handshakes
# and DNS included (the kernel here has no netem). Three resolver settings,
# ROUNDS rounds each, the two sides alternating who goes first:
#   near      unbound on 192.0.2.98, exempt from the delay, warm cache;
#   far       unbound on 192.0.2.97, 50 ms away, warm cache;
#   far-cold  the same, its cache emptied (SIGHUP) before each side runs;
#             its upstream, BIND, is next to it.
# Each round prints both wall-clock times; each setting then prints
# min/median/max of both sides and the median ratio (peer / daneroll).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
rounds=${1:-3}
bn=${N:-20}
rtt=${RTT:-50}
live=${DANEROLL_BUILD:-$top/build}/tests/test_verify_live
VW_TOP=$top VW_NS=drverb VW_DIR=/tmp/daneroll-verify-bench VW_BENCH=$bn
CNS=drverbc
. "$top/tests/integration/verifyworld"

[ "$(id -u)" -eq 0 ] || { echo "bench/verify.sh: needs root" >&2; exit 77; }
[ -x "$live" ] || { echo "bench/verify.sh: build first: make check-build" >&2; exit 1; }
[ "$bn" -ge 5 ] && [ "$bn" -le 250 ] || { echo "bench/verify.sh: N is 5..250" >&2; exit 64; }
client_down() {
	ip netns del "$CNS" 2>/dev/null
	rm -rf "/etc/netns/$CNS"
}
trap 'vw_down; client_down' EXIT
trap 'exit 130' INT TERM
client_down
vw_up || { echo "bench/verify.sh: world failed; see $VW_DIR/log" >&2; tail -n 5 "$VW_DIR"/log/*.log; exit 1; }

targets="" names=""
i=1
while [ $i -le "$bn" ]; do
	targets="$targets 198.18.0.$i:25"
	names="$names b$i.dr.test"
	i=$((i + 1))
done
# shellcheck disable=SC2086
vw_spawn fwd "$VW_DIR/tcpfwd" -d 0 -t 192.0.2.200:25 $targets

# The client side: 198.51.100.1, everything else through the line.
ip netns add "$CNS" && ip -n "$CNS" link set lo up || exit 1
vw_spawn delayline python3 "$here/delayline.py" "$VW_NS" dls "$CNS" dlc $((rtt / 2)) 192.0.2.98
vw_wait 5 ip -n "$CNS" link show dlc || { echo "bench/verify.sh: no delay line" >&2; exit 1; }
ip -n "$CNS" link set dlc up &&
	ip -n "$CNS" addr add 198.51.100.1/32 dev dlc &&
	ip -n "$CNS" route add 192.0.2.0/24 dev dlc src 198.51.100.1 &&
	ip -n "$CNS" route add 198.18.0.0/24 dev dlc src 198.51.100.1 &&
	ip -n "$VW_NS" link set dls up &&
	ip -n "$VW_NS" route add 198.51.100.0/24 dev dls || exit 1
mkdir -p "/etc/netns/$CNS"
cx() { ip netns exec "$CNS" "$@"; }
vw_wait 10 cx bash -c "exec 3<>/dev/tcp/198.18.0.$bn/25; head -c 3 <&3 | grep -q 220" ||
	{ echo "bench/verify.sh: b$bn does not answer across the line" >&2; exit 1; }
VW_EXTRA_HOSTS=$names
export VW_EXTRA_HOSTS
vw_conf "$VW_DIR/base.conf"
want=$((bn - bn / 5))

ms() { date +%s%3N; }
resolver() { # ADDR: both sides ask this resolver
	printf 'nameserver %s\noptions trust-ad edns0\n' "$1" >"/etc/netns/$CNS/resolv.conf"
	sed "s/^resolver = .*/resolver = $1/" "$VW_DIR/base.conf" >"$VW_DIR/bench.conf"
}
cold() { # empties unbound's cache; waits until it answers again
	[ "$cold" = 1 ] || return 0
	kill -HUP "$(cat "$VW_DIR/pids/unbound")"
	sleep 0.2
	vw_wait 5 vw_nsx dig +short +time=1 +tries=1 @127.0.0.1 localhost A
}
ours() {
	cold
	t0=$(ms)
	# shellcheck disable=SC2086
	cx "$live" check "$VW_DIR/bench.conf" $names >"$VW_DIR/ours.out" 2>&1
	t_ours=$(($(ms) - t0))
	v_ours=$(awk '$1 ~ /^b[0-9]+\.dr\.test$/ && $4 == "match"' "$VW_DIR/ours.out" | wc -l)
}
theirs() {
	cold
	rm -f "$VW_DIR"/pf.*.out
	t0=$(ms)
	printf '%s\n' $names | MAIL_CONFIG=$VW_DIR/posttls xargs -P "$bn" -I{} \
		ip netns exec "$CNS" sh -c '/usr/sbin/posttls-finger -l dane-only \
		-a ipv4 -t 5 -T 5 "[{}]:25" >"$0/pf.{}.out" 2>&1' "$VW_DIR"
	t_theirs=$(($(ms) - t0))
	v_theirs=$(grep -l "Verified TLS connection established" "$VW_DIR"/pf.*.out | wc -l)
}
stats() { # numbers on stdin: min/median/max
	sort -n | awk '{ a[NR] = $1 } END { printf "%d/%d/%d", a[1], a[int((NR + 1) / 2)], a[NR] }'
}
fail=0
for setting in near far far-cold; do
	case $setting in
	near) resolver 192.0.2.98; cold=0 ;;
	far) resolver 192.0.2.97; cold=0 ;;
	far-cold) resolver 192.0.2.97; cold=1 ;;
	esac
	: >"$VW_DIR/t.ours"; : >"$VW_DIR/t.theirs"; : >"$VW_DIR/t.ratio"
	# A warm-up pair, not counted: both caches start from the same place.
	[ "$cold" = 1 ] || { ours; theirs; }
	r=1
	while [ "$r" -le "$rounds" ]; do
		if [ $((r % 2)) -eq 1 ]; then ours; theirs; else theirs; ours; fi
		if [ "$v_ours" -ne "$want" ] || [ "$v_theirs" -ne "$want" ]; then
			echo "round $r: verdicts: daneroll $v_ours match, posttls-finger $v_theirs verified (want $want)" >&2
			fail=1
		fi
		echo "$t_ours" >>"$VW_DIR/t.ours"
		echo "$t_theirs" >>"$VW_DIR/t.theirs"
		awk -v a="$t_theirs" -v b="$t_ours" 'BEGIN { printf "%.2f\n", a / b }' >>"$VW_DIR/t.ratio"
		printf '%s round %d: daneroll check %d ms, xargs -P %d posttls-finger %d ms\n' \
			"$setting" "$r" "$t_ours" "$bn" "$t_theirs"
		r=$((r + 1))
	done
	printf '%d endpoints, %d ms RTT, resolver %s: daneroll %s ms, posttls-finger %s ms (min/median/max), median ratio %sx\n' \
		"$bn" "$rtt" "$setting" "$(stats <"$VW_DIR/t.ours")" "$(stats <"$VW_DIR/t.theirs")" \
		"$(sort -n "$VW_DIR/t.ratio" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
done
exit $fail
