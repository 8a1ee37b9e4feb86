#!/bin/sh
# Benchmark: the propagation observer over N=8 authoritative addresses
# across a true 50 ms round trip, against N digs at once and sequential
# dig loops over the same addresses, measured in the same run.
#
#   sh bench/observe.sh [RUNS]        (root; default 5 runs of each)
#   N=32 sh bench/observe.sh         (N addresses, 1 to 99; default 8)
#
# World, in its own namespace "drobsbench": one BIND 9 serving the
# inline-signed zone bench.example. on 192.0.2.11-18 (the zone's NS RRset
# names ns1..ns8, one per address) and on 192.0.2.1 and 192.0.2.100, the
# "resolvers" the observer asks for the zone cut, NS and addresses. Every
# client runs in a second namespace, drobsbenchc, joined to the first by
# bench/delayline.py: every packet waits 25 ms each way (no netem here),
# except those to and from 192.0.2.1, the near resolver.
#
# The observer asks each address two questions (TLSA at the owner, SOA at
# the apex); so does the main dig loop (one dig per address with both
# questions), so both send the same 16 delayed queries. A second loop asks
# TLSA only (8 queries), the least a sequential check can do. Wall time of
# the whole program is measured for each (process start included); the
# observer's own observe() time is printed beside it. The observer's
# discovery (zone cut, NS, addresses) goes to an undelayed resolver; a
# second observer run puts the resolver 50 ms away too (192.0.2.100),
# which costs it one more round trip: the zone cut with NS and DNSKEY at
# every candidate apex; the NS addresses are then looked up while the
# addresses BIND's NS answer carries in its additional section are asked
# (a resolver with minimal answers, as unbound's default, costs a third).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
NS=drobsbench
CNS=drobsbenchc
DELAY=50	# the round trip; 25 ms each way
N=${N:-8}
OWNER=_25._tcp.mx.bench.example.
H1=0101010101010101010101010101010101010101010101010101010101010101

[ "$(id -u)" -eq 0 ] || { echo "bench/observe.sh: needs root (network namespace)" >&2; exit 77; }
for p in ip named dig python3; do
	command -v $p >/dev/null 2>&1 || { echo "bench/observe.sh: $p missing" >&2; exit 69; }
done
make -C "$top" -s build/tests/test_observe_live >/dev/null || exit 1
live=$top/build/tests/test_observe_live

T=$(mktemp -d /tmp/drobsbench.XXXXXX)
chmod 0755 "$T"
PIDS=""
nsx() { ip netns exec "$NS" "$@"; }
cx() { ip netns exec "$CNS" "$@"; }
teardown() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	ip netns del "$CNS" 2>/dev/null
	rm -rf "$T"
}
trap teardown EXIT
trap 'exit 1' INT TERM

for ns in "$NS" "$CNS"; do
	if ip netns list | grep -qw "^$ns"; then
		for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns"
	fi
	ip netns add "$ns" || exit 1
	ip -n "$ns" link set lo up
done
nsx ip addr add 192.0.2.1/32 dev lo
nsx ip addr add 192.0.2.100/32 dev lo
i=1; FWD="" LISTEN=""
while [ $i -le $N ]; do
	nsx ip addr add "192.0.2.1$i/32" dev lo
	FWD="$FWD 192.0.2.1$i"
	LISTEN="$LISTEN 192.0.2.1$i;"
	i=$((i + 1))
done

mkdir -p "$T/keys"
{
	printf '$TTL 60\n@ 120 IN SOA ns1.bench.example. hostmaster.bench.example. 1 30 5 600 60\n'
	i=1
	while [ $i -le $N ]; do
		printf '@ IN NS ns%d\nns%d IN A 192.0.2.1%d\n' $i $i $i
		i=$((i + 1))
	done
	printf 'mx IN A 192.0.2.25\n_25._tcp.mx IN TLSA 3 1 1 %s\n' $H1
} >"$T/bench.example.db"
cat >"$T/named.conf" <<EOF
options {
	directory "$T";
	pid-file none;
	listen-on port 53 { 192.0.2.1; 192.0.2.100;$LISTEN };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
controls { };
dnssec-policy bench {
	keys { csk lifetime unlimited algorithm ecdsap256sha256; };
};
zone "bench.example." {
	type primary;
	file "$T/bench.example.db";
	key-directory "$T/keys";
	dnssec-policy bench;
	inline-signing yes;
};
EOF
ip netns exec "$NS" named -g -c "$T/named.conf" >"$T/named.log" 2>&1 &
PIDS="$PIDS $!"
python3 "$top/bench/delayline.py" "$NS" dls "$CNS" dlc $((DELAY / 2)) 192.0.2.1 \
	>"$T/line.log" 2>&1 &
PIDS="$PIDS $!"
n=0
until ip -n "$CNS" link show dlc >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -le 50 ] || { echo "bench/observe.sh: no delay line" >&2; cat "$T/line.log" >&2; exit 1; }
	sleep 0.1
done
ip -n "$CNS" link set dlc up &&
	ip -n "$CNS" addr add 198.51.100.1/32 dev dlc &&
	ip -n "$CNS" route add 192.0.2.0/24 dev dlc src 198.51.100.1 &&
	nsx ip link set dls up &&
	nsx ip route add 198.51.100.0/24 dev dls || exit 1

n=0
until cx dig +norec +dnssec +time=1 +tries=1 @192.0.2.1$N bench.example. SOA 2>/dev/null |
	grep -q 'RRSIG.*SOA'; do
	n=$((n + 1))
	if [ $n -gt 100 ]; then
		echo "bench/observe.sh: world did not come up" >&2
		tail -n 5 "$T/named.log" "$T/line.log" >&2
		exit 1
	fi
	sleep 0.2
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# observe RESOLVER WHAT FILE: one observer run (discovery through
# RESOLVER), its output in $out, its wall time (ms) appended to FILE;
# exits unless it saw every address match.
observe() {
	t0=$(now_ms)
	out=$(env DANEROLL_LIVE=1 LIVE_RESOLVER=$1 LIVE_OWNER=$OWNER \
		LIVE_WANT="3 1 1 $H1" ip netns exec "$CNS" "$live" report)
	t1=$(now_ms)
	echo "$out" | grep -q '^all_match 1$' || {
		echo "bench/observe.sh: $2 did not see all $N addresses match:" >&2
		echo "$out" >&2
		exit 1
	}
	echo $((t1 - t0)) >>"$3"
}

obs_file=$T/obs.txt dig_file=$T/dig.txt in_file=$T/in.txt
far_file=$T/far.txt dig1_file=$T/dig1.txt pdig_file=$T/pdig.txt
: >"$obs_file"; : >"$dig_file"; : >"$in_file"; : >"$far_file"; : >"$dig1_file"; : >"$pdig_file"
r=1
while [ "$r" -le "$runs" ]; do
	observe 192.0.2.1 "the observer" "$obs_file"
	[ "$(echo "$out" | grep -c '^server .* match ')" -eq $N ] || {
		echo "bench/observe.sh: expected $N matching addresses" >&2
		echo "$out" >&2
		exit 1
	}
	echo "$out" | sed -n 's/^ms //p' >>"$in_file"

	t0=$(now_ms)
	for a in $FWD; do
		cx dig +norec +dnssec +time=2 +tries=1 @"$a" $OWNER TLSA \
			bench.example. SOA >"$T/dig.out" 2>&1
		grep -q "IN[[:space:]]*TLSA[[:space:]]*3 1 1 0101" "$T/dig.out" || {
			echo "bench/observe.sh: dig @$a saw no TLSA" >&2
			cat "$T/dig.out" >&2
			exit 1
		}
	done
	t1=$(now_ms)
	echo $((t1 - t0)) >>"$dig_file"

	t0=$(now_ms)
	for a in $FWD; do
		cx dig +norec +dnssec +time=2 +tries=1 @"$a" $OWNER TLSA \
			>/dev/null 2>&1
	done
	t1=$(now_ms)
	echo $((t1 - t0)) >>"$dig1_file"

	# The strongest peer: one dig per address, all at once.
	t0=$(now_ms)
	pids=""
	for a in $FWD; do
		cx dig +norec +dnssec +time=2 +tries=1 @"$a" $OWNER TLSA \
			bench.example. SOA >"$T/pdig.$a" 2>&1 &
		pids="$pids $!"
	done
	# Not a bare wait: named and the forwarder are children too.
	# shellcheck disable=SC2086
	wait $pids
	t1=$(now_ms)
	for a in $FWD; do
		grep -q "IN[[:space:]]*TLSA[[:space:]]*3 1 1 0101" "$T/pdig.$a" || {
			echo "bench/observe.sh: parallel dig @$a saw no TLSA" >&2
			exit 1
		}
	done
	echo $((t1 - t0)) >>"$pdig_file"

	observe 192.0.2.100 "the observer with the resolver $DELAY ms away" \
	    "$far_file"
	r=$((r + 1))
done

obs=$(median <"$obs_file")
inproc=$(median <"$in_file")
far=$(median <"$far_file")
dig_=$(median <"$dig_file")
dig1=$(median <"$dig1_file")
pdig=$(median <"$pdig_file")
echo "observe: $N authoritative addresses, $DELAY ms round trip, $runs runs (median, ms)"
row() { printf '  %-40s %5s   [%s]\n' "$1" "$2" "$(tr '\n' ' ' <"$3")"; }
row "observer, program wall time" "$obs" "$obs_file"
row "observer, observe() call only" "$inproc" "$in_file"
row "observer, resolver +$DELAY ms as well" "$far" "$far_file"
row "dig loop, TLSA+SOA per address ($((2 * N)) q)" "$dig_" "$dig_file"
row "dig loop, TLSA only ($N q)" "$dig1" "$dig1_file"
row "$N digs at once, TLSA+SOA each" "$pdig" "$pdig_file"
awk -v a="$dig_" -v b="$obs" -v c="$dig1" -v f="$far" -v p="$pdig" 'BEGIN {
	printf "  ratio, strongest peer:    parallel digs / observer = %.2fx\n", p / b
	printf "  ratio, same queries:      dig loop / observer = %.1fx\n", a / b
	printf "  ratio, TLSA-only loop:    dig loop / observer = %.1fx\n", c / b
	printf "  ratio, far resolver:      TLSA-only loop / observer = %.1fx\n", c / f
}'
