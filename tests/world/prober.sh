#!/bin/bash
# The independent prober: a DANE-validating SMTP client that knows nothing
# of daneroll. Once a second it handshakes with every target, for the
# whole life of a test, and counts failures. Run it inside the world's
# namespace (the world's resolv.conf points at the validating resolver).
#
#   prober.sh [--cold RESOLVER CONF] OUTDIR NAME:ADDR:ALG ...
#                                          until OUTDIR/stop exists
#   prober.sh [--cold RESOLVER CONF] --lookup NAME
#                                          one TLSA lookup, as a probe
#                                          makes it, printed
#
# Warm (the default): the TLSA records come from the namespace's resolver,
# which caches them for their TTL like a sender's resolver: a chain that
# goes live before the records that vouch for it have aged out of caches
# fails here. Cold (--cold): they come from RESOLVER, a validating unbound
# whose cache is emptied at the start of each round (unbound-control -c
# CONF flush_zone .: every rrset, message and key entry); the round looks
# each name up once, and its probes, posttls-finger's too (a resolv.conf
# of its own, bind-mounted in a mount namespace), use only what was
# fetched after that flush: what the authoritative servers serve at that
# moment, as a resolver asking for the first time would get it. A record
# retired before the chain it vouched for left, or a publish that drops
# the live key's record, fails here.
#
# NAME is the MX host name (the TLSA owner is _25._tcp.NAME), or NAME/PORT
# for another port (_PORT._tcp.NAME; 465 speaks TLS from the first byte,
# every other port STARTTLS, as RFC 8314 and 6409 have it), ADDR an IPv4
# or IPv6 address, ALG rsa2048 or ecdsa-p256 (the client then offers only
# that algorithm's signature schemes, so the server must present that
# chain). Each probe: the TLSA RRset from the validating resolver, which
# must set the AD bit, then STARTTLS and a handshake that OpenSSL's DANE
# code must authenticate (-dane_tlsa_rrdata, -verify_return_error). A
# posttls-finger at dane-only level joins in once per second and host,
# as a second, unrelated implementation.
#
# Writes OUTDIR/log (one line per probe) and, when stopped,
# OUTDIR/summary: "probes N failures F", and OUTDIR/skipped: how many
# probes got no answer at all from the resolver (not counted in N).
set -u
args=("$@")
cold_resolver='' cold_conf='' lookup='' out=''
if [ "${1:-}" = --cold ]; then
	cold_resolver=$2
	cold_conf=$3
	shift 3
fi
if [ "${1:-}" = --lookup ]; then
	lookup=$2
else
	out=$1
	shift
	mkdir -p "$out"
fi
# Cold: posttls-finger resolves through libc, which reads
# /etc/resolv.conf; in a mount namespace of our own, that file names the
# cold resolver (private propagation: nothing leaks out).
if [ -n "$cold_conf" ] && [ -n "$out" ] && [ -z "${PROBER_COLD_MOUNTED:-}" ]; then
	printf 'nameserver %s\noptions trust-ad edns0\n' "$cold_resolver" \
		>"$out/resolv.conf"
	# shellcheck disable=SC2016 # $0 and $@ are that sh's
	exec env PROBER_COLD_MOUNTED=1 unshare --mount --propagation private \
		sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$out/resolv.conf" bash "$0" "${args[@]}"
fi
[ -n "$out" ] && : >"$out/log"
resolver=${cold_resolver:-$(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf)}
# A flush and the lookups that follow it hold this lock: another prober's
# (or a --lookup's) flush in between would make them ask again, not
# answer from older data, but could cut a validation short.
cold_lock=${cold_conf%/*}/prober.lock

# cold_begin: (cold) empty the resolver's cache, holding the lock on fd 9
# until cold_end; false if it could not be emptied. Warm: nothing. (Not
# flush_infra: what unbound knows of each server's round-trip time makes
# no answer stale, and it picks among servers within 400 ms at random.)
cold_begin() {
	[ -n "$cold_conf" ] || return 0
	exec 9>>"$cold_lock" && flock 9 &&
		unbound-control -c "$cold_conf" flush_zone . >/dev/null 2>&1
}
cold_end() {
	[ -z "$cold_conf" ] || exec 9>&-
}

sigalgs() {
	case $1 in
	rsa2048) echo "rsa_pss_rsae_sha256:rsa_pkcs1_sha256" ;;
	ecdsa-p256) echo "ecdsa_secp256r1_sha256" ;;
	esac
}

# The TLSA answer a DANE sender uses for an MX name (RFC 7672 2.2.3): if
# the name is a (validated) CNAME, the expanded name's records first, then
# the original name's. Prints the name where records were found, then the
# dig answer; "NOAD" if an answer was not validated, "NOANSWER" if the
# resolver did not answer at all.
tlsa_for() { # name[/port]
	local name=${1%/*} port=25 target ans
	case $1 in */*) port=${1##*/} ;; esac
	target=$(dig +dnssec +time=2 +tries=1 @"$resolver" "$name" CNAME 2>&1 |
		awk '$4 == "CNAME" { sub(/\.$/, "", $5); print $5; exit }')
	for n in $target $name; do
		ans=$(dig +dnssec +time=2 +tries=2 @"$resolver" "_$port._tcp.$n" TLSA 2>&1)
		if ! echo "$ans" | grep -q '^;; flags:'; then
			echo NOANSWER
			return
		fi
		if ! echo "$ans" | grep -q '^;; flags:.* ad'; then
			echo NOAD
			return
		fi
		if echo "$ans" | awk '$4 == "TLSA"' | grep -q .; then
			echo "$n"
			echo "$ans"
			return
		fi
	done
	echo "$name"
}

# cold_round NAME...: (cold) the round's flush, then each name's lookup
# into $out/round/NAME ("COLDFAIL" if the cache could not be emptied), for
# the round's probes of every address. Nothing flushes again until the
# round is over, so posttls-finger finds in the cache only what the round
# fetched. (A flush per probe, each probe queued on the lock, made a round
# take up to 10 s on 2 loaded cores.)
cold_round() {
	local n
	rm -rf "$out/round"
	mkdir -p "$out/round"
	if cold_begin; then
		for n in "$@"; do tlsa_for "$n" >"$out/round/${n//\//_}"; done
	else
		for n in "$@"; do echo COLDFAIL >"$out/round/${n//\//_}"; done
	fi
	cold_end
}

probe_one() { # name[/port] addr alg
	local name=$1 addr=$2 alg=$3 ans args=() rr connect tmp owner port=25 tls
	case $name in */*) port=${name##*/} ;; esac
	tls=(-starttls smtp)
	[ "$port" = 465 ] && tls=()
	if [ -n "$cold_conf" ]; then
		ans=$(cat "$out/round/${name//\//_}")
	else
		ans=$(tlsa_for "$name")
	fi
	owner=$(echo "$ans" | head -n 1)
	if [ "$owner" = COLDFAIL ]; then
		echo "FAIL $name $addr $alg: the cold resolver's cache could not be emptied"
		return
	fi
	if [ "$owner" = NOAD ]; then
		echo "FAIL $name $addr $alg: TLSA answer not validated (no AD)"
		return
	fi
	if [ "$owner" = NOANSWER ]; then
		# The resolver itself did not answer (a loaded machine): a
		# sender would defer and retry; no DANE verdict either way.
		echo "SKIP $name $addr $alg: the resolver did not answer (2 x 2 s)"
		return
	fi
	while read -r rr; do
		args+=(-dane_tlsa_rrdata "$rr")
	done < <(echo "$ans" | awk '$4 == "TLSA" { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }')
	if [ ${#args[@]} -eq 0 ]; then
		# No TLSA: a DANE sender uses opportunistic TLS; nothing to fail.
		echo "ok $name $addr $alg: no TLSA"
		return
	fi
	case $addr in *:*) connect="[$addr]:$port" ;; *) connect="$addr:$port" ;; esac
	tmp=$(mktemp "$out/probe.XXXXXX")
	# SNI and the DANE reference name: where the records were found.
	if timeout 10 openssl s_client -brief "${tls[@]}" -connect "$connect" \
		-servername "$owner" -dane_tlsa_domain "$owner" "${args[@]}" \
		-sigalgs "$(sigalgs "$alg")" -verify_return_error </dev/null \
		>"$tmp" 2>&1 && grep -q "Verification: OK" "$tmp"; then
		echo "ok $name $addr $alg"
	else
		echo "FAIL $name $addr $alg: $(grep -m1 -iE 'verify|error|alert' "$tmp" | tr -d '\n')"
	fi
	rm -f "$tmp"
}

finger() { # name[/port]
	local res port=25 name=${1%/*}
	case $1 in */*) port=${1##*/} ;; esac
	if [ -n "$cold_conf" ] && [ "$(head -n 1 "$out/round/${1//\//_}")" = COLDFAIL ]; then
		echo "FAIL $1 posttls-finger: the cold resolver's cache could not be emptied"
		return
	fi
	res=$(MAIL_CONFIG=${POSTTLS_MAIL_CONFIG:-} timeout 15 posttls-finger -c \
		-l dane-only "[$name]:$port" 2>&1)
	if echo "$res" | grep -q "Verified TLS connection established"; then
		echo "ok $1 posttls-finger"
	elif echo "$res" | grep -q "no TLSA records"; then
		echo "ok $1 posttls-finger: no TLSA"
	else
		echo "FAIL $1 posttls-finger: $(echo "$res" | grep -m1 -iE 'fail|error|untrusted|verif' | tr -d '\n')"
	fi
}

if [ -n "$lookup" ]; then
	cold_begin || { echo "the cold resolver's cache could not be emptied" >&2; exit 1; }
	tlsa_for "$lookup"
	cold_end
	exit 0
fi

names=()
for t in "$@"; do
	case " ${names[*]} " in *" ${t%%:*} "*) ;; *) names+=("${t%%:*}") ;; esac
done
while [ ! -e "$out/stop" ]; do
	start=$(date +%s%N)
	now=$(date +%H:%M:%S)
	[ -n "$cold_conf" ] && cold_round "${names[@]}"
	declare -A seen=()
	for t in "$@"; do
		IFS=: read -r name rest <<<"$t"
		alg=${t##*:}
		addr=${rest%:*}
		echo "$now $(probe_one "$name" "$addr" "$alg")" >>"$out/log" &
		# posttls-finger speaks STARTTLS only: 465 is s_client's alone.
		if [ -z "${seen[$name]:-}" ] && [ "${name##*/}" != 465 ] &&
			command -v posttls-finger >/dev/null; then
			seen[$name]=1
			echo "$now $(finger "$name")" >>"$out/log" &
		fi
	done
	wait
	unset seen
	# Once a second, whatever the probes took.
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$elapsed" -lt 1000 ] && sleep "0.$(printf '%03d' $((1000 - elapsed)))"
done
n=$(grep -vc ' SKIP ' "$out/log")
f=$(grep -c ' FAIL ' "$out/log")
echo "probes $n failures $f" >"$out/summary"
grep -c ' SKIP ' "$out/log" >"$out/skipped"
