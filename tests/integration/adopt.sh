#!/bin/bash
# Migrating to daneroll with a next key already published: the two
# sections of docs/operations.md, "Coming from danectl" and "Coming from
# certbot --reuse-key", step by step in the namespace world (BIND9
# primary + secondary, unbound, pebble + certbot, Postfix).
#
# 0. adopt-next's refusals, without a world: exit codes, nothing stored.
# 1. danectl: the state danectl leaves (certbot lineages mx1.example and
#    mx1.example-duplicate made with --reuse-key, /etc/letsencrypt/current
#    and next/ symlinks to them, Postfix serving current/, both "3 1 1"
#    records published by hand), then the migration: daneroll adopts
#    danectl's next key, its first run publishes nothing (DNS already
#    holds current + next), and a forced rollover deploys that very key.
# 2. certbot --reuse-key: a lineage whose key certbot reuses at each
#    renewal, and a next key the operator generated and published beside
#    it; the same migration on mx2.
# mx1 serves one key on ports 25, 465 (TLS from the first byte) and 587,
# as danectl's add-tlsa set them up: daneroll keeps the three owner names
# in step and verifies every port. Throughout, an independent prober
# handshakes with every address and port once a second (0 failures), and
# a watcher polls every authoritative address at every owner name: the
# adopted key's record must be served in every sample, from before the
# adoption until after the promote and the following publish.
# Paths: $D/letsencrypt stands for /etc/letsencrypt, $D/postfix-tls/HOST
# for /etc/postfix/daneroll.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -u
# shellcheck source=tests/integration/e2elib
. "$(dirname "$0")/e2elib"

# ---------------------------------------------------------------- 0. refusals
T=$(mktemp -d)
mini_host "$T"
cur=$(spki_of_key "$T/k.pem")
drm() { "$DR_BIN" -c "$T/d.conf" "$@"; }
umask 077
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/next.key" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.key" 2>/dev/null
echo "not a key" >"$T/garbage.key"
umask 022
cp "$T/k.pem" "$T/current.key"
chmod 600 "$T/current.key"
expect() { # code description command...
	local want=$1 what=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want" ] && ok "$what: exit $want" || not_ok "$what: exit $want" "exit $rc: $out"
	printf '%s\n' "$out" >"$T/last.out"
}
expect 64 "adopt-next of an unknown host" drm adopt-next nosuch.example.org "$T/next.key"
grep -q "nosuch.example.org: no \[host nosuch.example.org\]" "$T/last.out" && ok "it names the host" || not_ok "it names the host" "$(cat "$T/last.out")"
expect 64 "adopt-next without a key file" drm adopt-next mx1.example.org
expect 64 "adopt-next --algorithm of no such name" drm adopt-next --algorithm dsa mx1.example.org "$T/next.key"
expect 66 "adopt-next of a missing file" drm adopt-next mx1.example.org "$T/none.key"
expect 65 "adopt-next of a file that holds no key" drm adopt-next mx1.example.org "$T/garbage.key"
expect 65 "adopt-next of an RSA key for an ECDSA-only host" drm adopt-next mx1.example.org "$T/rsa.key"
expect 65 "adopt-next of the key served now" drm adopt-next mx1.example.org "$T/current.key"
grep -q "is the current key" "$T/last.out" && ok "it says the key is the current one" || not_ok "it says the key is the current one" "$(cat "$T/last.out")"
chmod 644 "$T/next.key"
expect 65 "adopt-next of a key file others may read" drm adopt-next mx1.example.org "$T/next.key"
chmod 600 "$T/next.key"
[ ! -e "$T/state/keys/mx1.example.org" ] && ok "no refusal wrote a key" || not_ok "no refusal wrote a key" "$(ls -l "$T/state/keys/mx1.example.org")"
drm status --json mx1.example.org 2>/dev/null | json_keep status mx1.example.org >"$T/status.json"
if command -v jq >/dev/null; then
	jq -e '[.hosts[0].slots[] | .next_spki == null] | all' "$T/status.json" >/dev/null &&
		ok "no refusal recorded a next key" || not_ok "no refusal recorded a next key" "$(cat "$T/status.json")"
fi
expect 0 "adopt-next of a good key" drm adopt-next mx1.example.org "$T/next.key"
k=$(ls "$T/state/keys/mx1.example.org/")
[ "$(stat -c %a "$T/state/keys/mx1.example.org/$k")" = 600 ] && ok "kept as $k, mode 0600" || not_ok "kept mode 0600" "$(ls -l "$T/state/keys/mx1.example.org/")"
! grep -q "BEGIN" "$T/last.out" && ok "no key material in the output" || not_ok "no key material in the output"
expect 0 "adopt-next of the same key again (a no-op)" drm adopt-next mx1.example.org "$T/next.key"
[ "$(ls "$T/state/keys/mx1.example.org/" | wc -l)" -eq 1 ] && ok "still one key file" || not_ok "still one key file"
rm -rf "$T"

# ---------------------------------------------------------------- the world
e2e_start adopt "migration with a pre-published next key" certbot pebble nsupdate jq
owners1="_25._tcp.mx1.example _465._tcp.mx1.example _587._tcp.mx1.example"
owner2=_25._tcp.mx2.example
servers="$NS1_V4 $NS1_V6 $NS2_V4 $NS2_V6"
LE=$D/letsencrypt	# stands for /etc/letsencrypt
mkdir -p "$LE"
chmod 700 "$LE"
certbot_ns() {
	in_ns env REQUESTS_CA_BUNDLE="$PEBBLE_TLS_CA_FILE" certbot "$@" \
		--non-interactive --agree-tos --register-unsafely-without-email \
		--server "$PEBBLE_DIRECTORY_URL" --webroot --webroot-path "$D/www" \
		--config-dir "$LE" --work-dir "$D/certbot/work" --logs-dir "$D/certbot/logs"
}
# publish OWNER HEX...: the operator's records, by hand (nsupdate, TSIG).
publish() {
	local o=$1 h
	shift
	{
		echo "server $NS1_V4"
		echo "zone example"
		for h in "$@"; do echo "update add $o 5 IN TLSA 3 1 1 $h"; done
		echo send
	} | in_ns nsupdate -k "$TSIG_KEY_FILE"
}
# served_everywhere OWNER HEX...: every address serves every record.
served_everywhere() {
	local o=$1 s h
	shift
	for s in $servers; do
		for h in "$@"; do tlsa_at "$s" "$o" | grep -q "^3 1 1 $h\$" || return 1; done
	done
}
wait_served() {
	for _ in $(seq 1 30); do served_everywhere "$@" && return 0; sleep 1; done
	return 1
}
# kept_until FILE HEX T: every sample in FILE up to T (and after) shows
# HEX at every address that answered ("=?": no answer, no sample); prints
# the samples, those before T and the bad ones; fails unless none is bad
# and some came before T.
kept_until() {
	awk -v h="$2" -v t="$3" '
		{ a = 0; for (i = 2; i <= NF; i++) if ($i !~ /=\?$/) { a++; if (index($i, h) == 0) { bad++; break } } }
		a == 0 { next }
		{ n++; if (n > 1 && $1 - p > gap) gap = $1 - p; p = $1 }
		$1 <= t { before++ }
		END { printf "%d %d %d %.1f\n", n, before, bad, gap; exit !(bad == 0 && before > 0) }' "$1"
}
# watch_owners FILE OWNER...: about every 0.3 s, one stamped line with what
# each authoritative address serves at each OWNER ("@ADDR/OWNER=HEX,..."),
# until FILE.stop exists. One loop inside the namespace, one dig per
# address and sample for all the owners: dense enough on 2 busy cores.
watch_owners() {
	local f=$1
	shift
	rm -f "$f.stop"
	cat >"$f.sh" <<'LOOP'
f=$1 servers=$2
shift 2
owners="$*"
while [ ! -e "$f.stop" ]; do
	t=$(date +%s.%N)
	# One dig per address for every owner, one awk for the line: few
	# processes per sample, so that a loaded machine still samples often.
	for s in $servers; do
		echo "SERVER $s"
		for o in $owners; do echo "$o TLSA"; done |
			dig +norec +time=1 +tries=1 +noall +answer +comments @"$s" -f - 2>/dev/null
	done | awk -v t="$t" -v owners="$owners" -v servers="$servers" '
		$1 == "SERVER" { s = $2; next }
		/->>HEADER<<-/ { replies[s]++; next }
		$4 == "TLSA" {
			o = tolower($1); sub(/\.$/, "", o); h = ""
			for (i = 8; i <= NF; i++) h = h $i
			got[s "/" o] = got[s "/" o] "," tolower(h)
		}
		END {
			# An address that did not answer every query is no
			# sample ("?"); one that answered without records is.
			line = t; ns = split(servers, S, " "); no = split(owners, O, " ")
			for (i = 1; i <= ns; i++) for (j = 1; j <= no; j++) {
				k = S[i] "/" O[j]
				line = line " @" k "=" (replies[S[i]] < no ? "?" : substr(got[k], 2))
			}
			print line
		}' >>"$f"
	sleep 0.3
done
LOOP
	in_ns bash "$f.sh" "$f" "$servers" "$@" &
	OWNERS_PID=$!
}
# live_spki_port ADDR NAME ALG PORT: the leaf's SPKI digest at PORT (465:
# TLS from the first byte; else STARTTLS).
live_spki_port() {
	local connect tls=(-starttls smtp) sig=rsa_pss_rsae_sha256:rsa_pkcs1_sha256
	[ "$3" = ecdsa-p256 ] && sig=ecdsa_secp256r1_sha256
	[ "$4" = 465 ] && tls=()
	case $1 in *:*) connect="[$1]:$4" ;; *) connect="$1:$4" ;; esac
	in_ns timeout 10 openssl s_client "${tls[@]}" -connect "$connect" \
		-servername "$2" -sigalgs "$sig" </dev/null 2>/dev/null | spki_of
}
e2e_certbot_settings
sed -i "s|^CERTBOT_CONFIG_DIR=.*|CERTBOT_CONFIG_DIR=$LE|" "$D/certbot.conf"

# ----------------------------------------------------- 1. coming from danectl
# What danectl leaves: "danectl new" and "danectl dup" are certbot lineages
# with --reuse-key; current/ and next/ hold symlinks to them (danectl's
# README and manual), and Postfix serves current/.
certbot_ns certonly --cert-name mx1.example -d mx1.example --key-type ecdsa \
	--elliptic-curve secp256r1 --reuse-key >"$LOGDIR/certbot.new" 2>&1 &&
	certbot_ns certonly --cert-name mx1.example-duplicate -d mx1.example \
		--key-type ecdsa --elliptic-curve secp256r1 --reuse-key >"$LOGDIR/certbot.dup" 2>&1 &&
	ok "danectl's two lineages (certbot --reuse-key)" ||
	not_ok "danectl's two lineages" "$(tail -n 15 "$LOGDIR"/certbot.*)"
# danectl add-tlsa mx1.example _25._tcp.mx1 _465._tcp.mx1 _587._tcp.mx1:
# the same key for SMTP, submissions (465, TLS from the first byte) and
# submission (587, STARTTLS), as two more smtpd services in master.cf.
in_ns postconf -c "$MX1_CONFIG_DIR" -M "465/inet=465 inet n - n - - smtpd" \
	"587/inet=587 inet n - n - - smtpd"
in_ns postconf -c "$MX1_CONFIG_DIR" -P "465/inet/smtpd_tls_wrappermode=yes"
mkdir -p "$LE/current" "$LE/next"
ln -s ../live/mx1.example "$LE/current/mx1.example"
ln -s ../live/mx1.example-duplicate "$LE/next/mx1.example"
in_ns postconf -c "$MX1_CONFIG_DIR" "smtpd_tls_chain_files = $LE/current/mx1.example/privkey.pem, $LE/current/mx1.example/fullchain.pem"
in_ns postfix -c "$MX1_CONFIG_DIR" reload >/dev/null 2>&1
cur1=$(spki_of_key "$LE/current/mx1.example/privkey.pem")
next1=$(spki_of_key "$LE/next/mx1.example/privkey.pem")
ok=1
for o in $owners1; do
	publish "$o" "$cur1" "$next1" && wait_served "$o" "$cur1" "$next1" || ok=0
done
[ "$ok" = 1 ] && ok "danectl's current + next records served by every address at $owners1" ||
	not_ok "danectl's current + next records served by every address" "$(for s in $servers; do for o in $owners1; do tlsa_at "$s" "$o"; done; done)"
sleep 6	# the records have been there for longer than their TTL
for _ in $(seq 1 20); do
	[ "$(live_spki "$MX1_V4" mx1.example ecdsa-p256)" = "$cur1" ] && break
	sleep 0.5
done
for p in 25 465 587; do
	[ "$(live_spki_port "$MX1_V4" mx1.example ecdsa-p256 $p)" = "$cur1" ] &&
		ok "Postfix serves danectl's current key on port $p" ||
		not_ok "Postfix serves danectl's current key on port $p"
done

# ----------------------------------------------- 2. certbot --reuse-key (mx2)
certbot_ns certonly --cert-name mx2.example -d mx2.example -d mail2.example \
	--key-type rsa --rsa-key-size 2048 --reuse-key >"$LOGDIR/certbot.mx2" 2>&1 &&
	ok "certbot lineage mx2.example with --reuse-key" ||
	not_ok "certbot lineage mx2.example with --reuse-key" "$(tail -n 15 "$LOGDIR/certbot.mx2")"
mkdir -p "$LE/staged"
(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$LE/staged/mx2.example.key" 2>/dev/null)
in_ns postconf -c "$MX2_CONFIG_DIR" "smtpd_tls_chain_files = $LE/live/mx2.example/privkey.pem, $LE/live/mx2.example/fullchain.pem"
in_ns postfix -c "$MX2_CONFIG_DIR" reload >/dev/null 2>&1
cur2=$(spki_of_key "$LE/live/mx2.example/privkey.pem")
next2=$(spki_of_key "$LE/staged/mx2.example.key")
publish "$owner2" "$cur2" "$next2" && wait_served "$owner2" "$cur2" "$next2" &&
	ok "the certbot user's current + staged records served by every address" ||
	not_ok "the certbot user's current + staged records served" "$(for s in $servers; do tlsa_at "$s" "$owner2"; done)"
sleep 6

# The prober from here on: mx1's ECDSA and mx2's RSA chain, every address.
e2e_prober mx1.example:"$MX1_V4":ecdsa-p256 mx1.example:"$MX1_V6":ecdsa-p256 \
	mx1.example/465:"$MX1_V4":ecdsa-p256 mx1.example/465:"$MX1_V6":ecdsa-p256 \
	mx1.example/587:"$MX1_V4":ecdsa-p256 mx1.example/587:"$MX1_V6":ecdsa-p256 \
	mx2.example:"$MX2_V4":rsa2048 mx2.example:"$MX2_V6":rsa2048
sleep 3

# migrate NAME ALG LIVE_KEY LIVE_CHAIN NEXT_KEY PORTS: docs/operations.md's
# steps.
migrate() {
	local name=$1 alg=$2 key=$3 chain=$4 next=$5 ports=$6 conf
	conf=$(echo "$name" | tr a-z A-Z | cut -d. -f1)_CONFIG_DIR
	# Step 1: the served pair copied to the file daneroll deploys, and
	# Postfix pointed at it: the same key, so no record changes.
	mkdir -p "$D/postfix-tls/$name"
	(umask 077 && cat "$key" "$chain" >"$D/postfix-tls/$name/$alg.pem.tmp" &&
		mv "$D/postfix-tls/$name/$alg.pem.tmp" "$D/postfix-tls/$name/$alg.pem")
	in_ns postconf -c "${!conf}" "smtpd_tls_chain_files = $D/postfix-tls/$name/$alg.pem"
	in_ns postfix -c "${!conf}" reload >/dev/null 2>&1
	# Step 2: the host in daneroll.conf.
	cat >>"$D/daneroll.conf" <<CONF
[host $name]
port = $ports
algorithms = $alg
combined_file = $D/postfix-tls/$name/%a.pem
publisher = bind
acme_hook = $top/hooks/acme/certbot $D/certbot.conf
reload = /usr/sbin/postfix -c ${!conf} reload

CONF
	# Step 3: the next key adopted, before the first run.
	if dr adopt-next "$name" "$next" >"$LOGDIR/adopt.$name" 2>&1; then
		ok "$name: daneroll adopt-next $next"
	else
		not_ok "$name: daneroll adopt-next" "$(cat "$LOGDIR/adopt.$name")"
	fi
}

# rollover NAME ALG ADDR4 ADDR6 "OWNERS" CUR NEXT "PORTS": the first run,
# then `roll`.
rollover() {
	local name=$1 alg=$2 a4=$3 a6=$4 owners=$5 cur=$6 next=$7 ports=$8
	local live got owner=${5%% *} p o all
	e2e_probe_mark
	watch_start "$LOGDIR/watch.$name" "$owner" "$a4" "$name" "$alg" $servers
	# shellcheck disable=SC2086 # the owners are words
	watch_owners "$LOGDIR/owners.$name" $owners
	sleep 1
	if DR_TIMEOUT=150 dr_ts run --wait "$name" >"$LOGDIR/run1.$name" 2>&1; then
		ok "$name: the first run takes the host under management (exit 0)"
	else
		not_ok "$name: the first run (exit $?)" "$(tail -n 15 "$LOGDIR/run1.$name")"
	fi
	grep -q "published .* record" "$LOGDIR/run1.$name" &&
		not_ok "$name: the first run publishes nothing (DNS holds current + next already)" "$(grep published "$LOGDIR/run1.$name")" ||
		ok "$name: the first run publishes nothing (DNS holds current + next already)"
	dr status --json "$name" 2>/dev/null | json_keep status "$name" >"$LOGDIR/status1.$name.json"
	got=$(jq -r ".hosts[0].slots[] | select(.algorithm == \"$alg\") | .next_spki" "$LOGDIR/status1.$name.json")
	[ "$got" = "$next" ] && ok "$name: the adopted key is the next key" || not_ok "$name: the adopted key is the next key" "next_spki=$got"
	dr roll "$name" >/dev/null 2>&1
	if DR_TIMEOUT=170 dr_ts run --wait "$name" >"$LOGDIR/run2.$name" 2>&1; then
		ok "$name: the rollover completes (exit 0)"
	else
		not_ok "$name: the rollover completes (exit $?)" "$(tail -n 20 "$LOGDIR/run2.$name")"
	fi
	sleep 2
	watch_stop
	touch "$LOGDIR/owners.$name.stop"
	wait "$OWNERS_PID" 2>/dev/null
	for p in $ports; do
		[ "$(live_spki_port "$a4" "$name" "$alg" "$p")" = "$next" ] &&
			[ "$(live_spki_port "$a6" "$name" "$alg" "$p")" = "$next" ] &&
			ok "$name: the adopted key is live on both addresses, port $p" ||
			not_ok "$name: the adopted key is live on both addresses, port $p"
	done
	n=$(echo "$ports" | wc -w)
	grep -q "verified: $((2 * n)) addresses present" "$LOGDIR/run2.$name" &&
		ok "$name: daneroll verified $((2 * n)) endpoints (2 addresses x $n ports)" ||
		not_ok "$name: daneroll verified every port" "$(grep verified "$LOGDIR/run2.$name")"
	# From before the adoption, through the deploy and the promote, to
	# after the following publish: every sample of every address, at
	# every owner name, holds the adopted key's record.
	live=$(first_live "$LOGDIR/watch.$name" "$next")
	# A removal by daneroll would last until the next publish, so the
	# samples need not be dense, only on both sides of the deploy: a
	# loaded machine (a fresh one running make check) managed 17.
	if [ -n "$live" ] && read -r n before _ gap < <(kept_until "$LOGDIR/owners.$name" "$next" "$live") &&
		[ "$n" -ge 8 ] && [ "$n" -gt "$before" ]; then
		ok "$name: its record was served by every address at $owners in all $n samples, at most $gap s apart ($before before it went live, the rest after the promote too)"
	else
		not_ok "$name: its record was served by every address from before adoption to after the promote" \
			"live=$live $(kept_until "$LOGDIR/owners.$name" "$next" "${live:-0}")"
	fi
	all=1
	for o in $owners; do served_everywhere "$o" "$cur" && all=0; done
	[ "$all" = 1 ] && ok "$name: the old key's record retired at every owner name" ||
		not_ok "$name: the old key's record retired at every owner name"
	dr status --json "$name" 2>/dev/null | json_keep status "$name" >"$LOGDIR/status2.$name.json"
	jq -e ".hosts[0].slots[] | select(.algorithm == \"$alg\") | .current_spki == \"$next\" and .state == \"standby\" and .next_spki != null" \
		"$LOGDIR/status2.$name.json" >/dev/null &&
		ok "$name: status: the adopted key current, a new next key, standby" ||
		not_ok "$name: status after the rollover" "$(jq -c '.hosts[0].slots' "$LOGDIR/status2.$name.json")"
	# check (the Nagios plugin) tries every port of every address too.
	dr check --json "$name" 2>"$LOGDIR/check.$name.err" | json_keep check "$name" >"$LOGDIR/check.$name.json"
	got=$(jq -c '[.hosts[0].endpoints[] | select(.result == "match") | .port] | unique' \
		"$LOGDIR/check.$name.json" 2>/dev/null)
	[ "$got" = "[$(echo "$ports" | tr ' ' ',')]" ] &&
		jq -e '[.hosts[0].endpoints[] | .result == "match"] | all and length == '"$((2 * $(echo "$ports" | wc -w)))" \
			"$LOGDIR/check.$name.json" >/dev/null &&
		ok "$name: check authenticates every address at every port ($got)" ||
		not_ok "$name: check authenticates every address at every port" "ports matched: $got; $(cat "$LOGDIR/check.$name.err")"
	e2e_probe_phase "$name" 20
}

e2e_global >"$D/daneroll.conf"
chmod 600 "$D/daneroll.conf"
migrate mx1.example ecdsa-p256 "$LE/current/mx1.example/privkey.pem" \
	"$LE/current/mx1.example/fullchain.pem" "$LE/next/mx1.example/privkey.pem" \
	"25 465 587"
migrate mx2.example rsa2048 "$LE/live/mx2.example/privkey.pem" \
	"$LE/live/mx2.example/fullchain.pem" "$LE/staged/mx2.example.key" 25
check "config check" dr config check
rollover mx1.example ecdsa-p256 "$MX1_V4" "$MX1_V6" "$owners1" "$cur1" "$next1" "25 465 587"
rollover mx2.example rsa2048 "$MX2_V4" "$MX2_V6" "$owner2" "$cur2" "$next2" 25

e2e_prober_stop
summary
