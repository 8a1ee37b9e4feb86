#!/bin/sh
# Resource bounds: hostile peers and inputs are cut off at the limits
# documented in daneroll(8), LIMITS, with an error that names the limit and
# the peer or file, in bounded time and memory, and nothing advances: no
# state moves on, no record is published, no deployed file changes.
#
# Every case runs a real daneroll command (check, run, acme-hook, config
# check) under GNU time and checks its exit status, its message, its wall
# time (under twice the deadline that applies; a few seconds where none
# does) and its peak RSS; then what it must not have changed.
#
# The peers are stand-ins, because no real server can be made to misbehave
# like this: fake_hostile_dns.py (resolver and authoritative server of
# example.org, with an oversized and a trickling TCP answer, and a
# delegated zone of 40 nameservers),
# fake_hostile_smtp.py (endless banner, trickling banner, endless EHLO
# reply, a 4 MB certificate chain after STARTTLS) and fake_hostile_http.py
# (a PowerDNS API with a 200 MiB or a trickling body). They live in the
# network namespace dr-bounds on 192.0.2.0/24; nothing here asks the
# machine's resolver. Needs root, python3, openssl and GNU time (package
# time); about 60 s, most of it the trickling SMTP server, which costs the
# live check's total limit of 45 s and runs beside the other cases.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/testlib"
top=${DANEROLL_TOP:-$(cd "$here/../.." && pwd)}
# The test build (tests/tools/test_main.c): three cases fake the clock
# with DANEROLL_NOW, which daneroll ignores.
bin=${DANEROLL_TEST_BIN:-$top/build/daneroll-test}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

if [ "$(id -u)" -ne 0 ]; then
	skip "resource bounds" "needs root (ip netns)"
	summary; exit 0
fi
for b in ip python3 openssl /usr/bin/time; do
	if ! command -v "$b" >/dev/null 2>&1; then
		skip "resource bounds" "missing $b (sh tests/deps.sh world)"
		summary; exit 0
	fi
done
if ! /usr/bin/time -f %M true >/dev/null 2>&1; then
	skip "resource bounds" "/usr/bin/time is not GNU time"
	summary; exit 0
fi

NS=dr-bounds
t=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	[ -n "${T_KEEP:-}" ] || rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns del "$NS" 2>/dev/null
if ! ip netns add "$NS"; then
	not_ok "network namespace $NS"; summary; exit 1
fi
ip -n "$NS" link set lo up
for a in 53 31 32 33 34 35 80 81; do ip -n "$NS" addr add 192.0.2.$a/32 dev lo; done
mkdir -p "$t/rr" "$t/live" "$t/hooks" "$t/ca" "$t/lin"

# start NAME CMD...: a stand-in in the namespace, ready when it says so.
start() {
	n=$1; shift
	ip netns exec "$NS" "$@" >"$t/$n.log" 2>&1 &
	pids="$pids $!"
	i=0
	while ! grep -q '^ready' "$t/$n.log" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	grep -q '^ready' "$t/$n.log" || { not_ok "stand-in $n started" "$(cat "$t/$n.log")"; summary; exit 1; }
}

# measure ARGS...: runs daneroll ARGS in the namespace under GNU time, with
# the "VAR=value" words of $envs in its environment; sets rc, secs (wall
# time) and kb (peak RSS); stdout in $t/out, stderr in $t/err.
# A command that hangs (the bug these cases catch) is killed at 150 s.
envs=
measure() {
	rm -f "$t/time"
	# shellcheck disable=SC2086 # $envs: words without blanks
	ip netns exec "$NS" timeout -k 5 150 /usr/bin/time -f '%e %M' \
		-o "$t/time" env $envs "$bin" "$@" >"$t/out" 2>"$t/err"
	rc=$?
	took "$t/time"
}
took() { # FILE: secs and kb from GNU time's last line (150 s if killed)
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- $(tail -n 1 "$1" 2>/dev/null)
	secs=${1:-150} kb=${2:-0}
}
# bounded NAME RC MAX_S MAX_KB TEXT...: the last measure exited RC in less
# than MAX_S seconds and MAX_KB KiB of peak RSS, and said every TEXT.
bounded() {
	name=$1 want=$2 max_s=$3 max_kb=$4; shift 4
	why=
	[ "$rc" -eq "$want" ] || why="exit $rc, not $want;"
	awk -v s="$secs" -v m="$max_s" 'BEGIN { exit !(s < m) }' ||
		why="$why $secs s, not under $max_s s;"
	[ "$kb" -lt "$max_kb" ] || why="$why peak RSS $kb KiB, not under $max_kb;"
	for text in "$@"; do
		cat "$t/out" "$t/err" | grep -qF -- "$text" || why="$why no \"$text\";"
	done
	if [ -z "$why" ]; then
		ok "$name: exit $rc in $secs s (< $max_s), peak RSS $kb KiB"
	else
		not_ok "$name" "$why
$(cat "$t/out" "$t/err" | cut -c1-400 | tail -n 12)"
	fi
}
# slot CONF: "STATE FAILURES" of the configuration's first slot.
slot() {
	ip netns exec "$NS" "$bin" -c "$1" status --json 2>/dev/null |
	    json_keep status | python3 -c '
import json, sys
s = json.load(sys.stdin)["hosts"][0]["slots"][0]
print(s["state"], s["failures"])' 2>/dev/null
}
same() { # NAME GOT WANT
	[ "$2" = "$3" ] && ok "$1" || not_ok "$1" "got \"$2\", want \"$3\""
}
RSS=40000	# KiB: daneroll itself needs about 14 MiB
# Under ASan (tests/run.sh --sanitized) its shadow memory and quarantine
# count too: the bound is then only a sanity check (what was read, the
# time and the messages are still checked as they are).
[ -n "${ASAN_OPTIONS:-}" ] && RSS=1000000

# ------------------------------------------------------------ the world
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$t/k.pem" -out "$t/c.pem" -subj /CN=mx.example.org \
	-addext subjectAltName=DNS:mx.example.org -days 90 2>/dev/null
cat "$t/k.pem" "$t/c.pem" >"$t/live/mx-ecdsa-p256.pem"
chmod 600 "$t/live/mx-ecdsa-p256.pem" "$t/k.pem"
# A 4 MB chain: the leaf, then fifty 80 KB certificates.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$t/pad.key" -out "$t/pad.pem" -subj /CN=padding -days 30 \
	-addext "nsComment=$(head -c 60000 /dev/zero | tr '\0' x)" 2>/dev/null
cp "$t/c.pem" "$t/bigchain.pem"
for i in $(seq 50); do cat "$t/pad.pem" >>"$t/bigchain.pem"; done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$t/ca/ca.key" -out "$t/ca/ca.pem" -subj "/CN=Test CA" \
	-days 30 2>/dev/null
chmod 600 "$t/ca/ca.key"
printf 'LOCAL_CA_CERT=%s\nLOCAL_CA_KEY=%s\n' "$t/ca/ca.pem" "$t/ca/ca.key" >"$t/ca/settings"

# DNS: MX addresses, and one "3 1 1" record per MX name for check.
for hm in banner:31 trickle:32 ehlo:33 chain:34; do
	h=${hm%:*}
	echo "192.0.2.${hm#*:}" >"$t/rr/mx-$h.example.org.a"
	echo "3 1 1 $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
		>"$t/rr/_25._tcp.mx-$h.example.org"
done
echo 192.0.2.35 >"$t/rr/big.example.org.a"
seq 100 139 | sed 's/^/192.0.2./' >"$t/rr/many.example.org.a"
echo 192.0.2.35 >"$t/rr/slow.example.org.a"
start dns python3 "$here/fake_hostile_dns.py" "$t/rr" 192.0.2.53
for m in banner:31 trickle:32 ehlo:33; do
	start "smtp-${m%:*}" python3 "$here/fake_hostile_smtp.py" "${m%:*}" "192.0.2.${m#*:}" 25
done
start smtp-chain python3 "$here/fake_hostile_smtp.py" chain 192.0.2.34 25 "$t/bigchain.pem" "$t/k.pem"
start smtp-good python3 "$here/fake_hostile_smtp.py" chain 192.0.2.35 25 "$t/c.pem" "$t/k.pem"
start http-huge python3 "$here/fake_hostile_http.py" huge 192.0.2.80 8081 "$t/http-huge.req"
start http-trickle python3 "$here/fake_hostile_http.py" trickle 192.0.2.81 8081 "$t/http-trickle.req"

# The exec publisher of the run cases: writes what the fake DNS serves.
cat >"$t/hooks/publish" <<HOOK
#!/bin/sh
[ "\$1" = replace ] || exit 64
owner=\$2; shift 3
: >"$t/rr/\$owner.tmp"
for r in "\$@"; do printf '%s\n' "\$r" >>"$t/rr/\$owner.tmp"; done
mv "$t/rr/\$owner.tmp" "$t/rr/\$owner"
HOOK
# An ACME hook that writes without end and ignores SIGTERM.
# Its words name this run's directory: pgrep must not see another
# suite's hook (two suites on one machine, a fresh one's in a chroot).
printf '#!/bin/sh\ntrap "" TERM\nexec /usr/bin/yes endless ACME hook output %s\n' "$t" >"$t/hooks/endless"
# An ACME hook that leaves a 2 MiB "chain".
# shellcheck disable=SC2016 # $DANEROLL_CHAIN is the hook's to expand
printf '#!/bin/sh\nhead -c 2097152 /dev/zero | tr "\\0" A >"$DANEROLL_CHAIN"\n' >"$t/hooks/bigchain"
chmod 755 "$t/hooks/publish" "$t/hooks/endless" "$t/hooks/bigchain"
printf 'not-a-real-api-key\n' >"$t/api.key"
chmod 600 "$t/api.key"

# conf NAME HOST PUBLISHER_LINES HOST_LINES: $t/NAME.conf, state $t/NAME.
conf() {
	cat >"$t/$1.conf" <<CONF
[global]
state_dir = $t/$1
resolver = 192.0.2.53
ttl = 60
hook_timeout = 3s

[publisher rr]
type = exec
command = $t/hooks/publish

$3

[host $2]
algorithms = ecdsa-p256
combined_file = $t/live/mx-%a.pem
$4
CONF
	chmod 600 "$t/$1.conf"
}

# ------------------------------------------------ 1. the live check: SMTP
conf check mx.example.org "" "publisher = rr"
for h in banner trickle ehlo chain; do
	printf '\n[host mx-%s.example.org]\nalgorithms = ecdsa-p256\ncombined_file = %s/live/%s-%%a.pem\npublisher = rr\n' \
		"$h" "$t" "$h" >>"$t/check.conf"
done
printf '\n[host big.example.org]\nalgorithms = ecdsa-p256\ncombined_file = %s/live/big-%%a.pem\npublisher = rr\n' "$t" >>"$t/check.conf"
printf '\n[host many.example.org]\nalgorithms = ecdsa-p256\ncombined_file = %s/live/many-%%a.pem\npublisher = rr\n' "$t" >>"$t/check.conf"
printf '\n[host slow.example.org]\nalgorithms = ecdsa-p256\ncombined_file = %s/live/slow-%%a.pem\npublisher = rr\n' "$t" >>"$t/check.conf"

# The trickling server costs the whole total limit (45 s): beside the rest.
ip netns exec "$NS" timeout -k 5 150 /usr/bin/time -f '%e %M' \
	-o "$t/trickle.time" "$bin" -c "$t/check.conf" check mx-trickle.example.org \
	>"$t/trickle.out" 2>"$t/trickle.err" &
trickle_pid=$!

measure -c "$t/check.conf" check mx-banner.example.org
bounded "check: endless \"220-\" banner" 2 10 $RSS \
	"192.0.2.31 ecdsa-p256: greeting: more than 128 lines in one reply"
measure -c "$t/check.conf" check mx-ehlo.example.org
bounded "check: endless EHLO reply" 2 10 $RSS \
	"192.0.2.33 ecdsa-p256: EHLO reply: more than 128 lines in one reply"
measure -c "$t/check.conf" check mx-chain.example.org
bounded "check: 4 MB certificate chain after STARTTLS" 2 10 $RSS \
	"192.0.2.34 ecdsa-p256: a handshake message over the limit: the certificate chain may be at most 102400 bytes"

# ------------------------------------------- 2. the live check: resolver
measure -c "$t/check.conf" check --json big.example.org
json_keep check big.example.org <"$t/out" >/dev/null
n=$(python3 -c 'import json, sys; h = json.load(open(sys.argv[1]))["hosts"][0]
print(h["tlsa_records"], h["endpoints"][0]["result"])' "$t/out" 2>/dev/null)
bounded "check: 65,000-octet TLSA answer over TCP (${n%% *} records)" 2 10 $RSS \
	'"code": "tlsa-mismatch"'
same "check: every record of the oversized RRset read, the chain judged against them" \
	"$n" "1382 mismatch"
measure -c "$t/check.conf" check many.example.org
bounded "check: an MX name with 40 addresses (none checked: no partial verdict)" 3 10 $RSS \
	"many.example.org has more than 32 A and AAAA records, the most daneroll checks"
measure -c "$t/check.conf" check slow.example.org
bounded "check: resolver trickling its TCP answer" 3 10 $RSS \
	"TLSA lookup failed: no answer from 192.0.2.53: the answer over TCP was not complete within 5 s"

# ------------------------------------------------------ 3. the observer
for h in big slow; do
	conf "obs-$h" "$h.example.org" "" "publisher = rr"
	sed -i "s#/live/mx-#/live/$h-#" "$t/obs-$h.conf"
	cp "$t/live/mx-ecdsa-p256.pem" "$t/live/$h-ecdsa-p256.pem"
done
measure -v -c "$t/obs-big.conf" run
bounded "run: authoritative answer of 65,000 octets over TCP" 0 10 $RSS \
	"_25._tcp.big.example.org at 192.0.2.53 (ns.example.org.): stale: serves 1382 records, 0 of the 2 wanted"
same "run: oversized answer, nothing advances" "$(slot "$t/obs-big.conf")" "publishing 0"
# At first contact, what a server that never finished its answer serves
# is unknown, not "no RRset" (issue 12): nothing is published, the run
# backs off and says so (75).
measure -c "$t/obs-slow.conf" run
bounded "run: authoritative server trickling its TCP answer" 75 20 $RSS \
	"what 192.0.2.53 (ns.example.org.) serves is unknown (unreachable): nothing is changed until every address answers"
same "run: trickled answer, nothing published, the failure counted" "$(slot "$t/obs-slow.conf")" "publishing 1"
# The network child (docs/security.md) killed while it waits for that
# server, as a parser crashed by a hostile answer would end: the run
# learns nothing more, says so, backs off (75) and publishes nothing;
# --wait does not wait for a retry that could learn nothing either.
conf obs-kill slow.example.org "" "publisher = rr"	# a state of its own
sed -i "s#/live/mx-#/live/slow-#" "$t/obs-kill.conf"
ls "$t/rr" >"$t/rr.before"
ip netns exec "$NS" timeout 60 "$bin" -c "$t/obs-kill.conf" run --wait \
	>"$t/out" 2>"$t/err" &
drpid=$!	# timeout's; daneroll is its child, the network child daneroll's
child=
for _ in $(seq 1 100); do
	dr=$(ps -o pid= --ppid "$drpid" 2>/dev/null | head -n 1 | tr -d ' ')
	[ -n "$dr" ] && child=$(ps -o pid=,user= --ppid "$dr" 2>/dev/null |
	    awk '$2 == "nobody" { print $1; exit }')
	[ -n "$child" ] && break
	sleep 0.05
done
sleep 0.5
[ -n "$child" ] && kill -9 "$child"
wait "$drpid"
rc=$?
if [ -n "$child" ] && [ "$rc" -eq 75 ] &&
	grep -q "network child (pid $child) exited; nothing more is observed or verified in this run" "$t/err"; then
	ok "run: network child killed mid-observation: exit 75, said so"
else
	not_ok "run: network child killed mid-observation: exit 75, said so" "child=$child rc=$rc
$(tail -n 5 "$t/err")"
fi
ls "$t/rr" >"$t/rr.after"
cmp -s "$t/rr.before" "$t/rr.after" &&
	same "run: killed child, nothing published, the failure counted" "$(slot "$t/obs-kill.conf")" "publishing 1" ||
	not_ok "run: killed child, nothing published" "$(diff "$t/rr.before" "$t/rr.after")"
conf obs-wide mx.wide.example.org "" "publisher = rr"
sed -i "s#/live/mx-#/live/wide-#" "$t/obs-wide.conf"
cp "$t/live/mx-ecdsa-p256.pem" "$t/live/wide-ecdsa-p256.pem"
measure -c "$t/obs-wide.conf" run
bounded "run: a zone with 40 nameservers" 75 10 $RSS \
	"zone wide.example.org. has 40 nameservers, more than the 32 daneroll observes; not observed"
[ ! -e "$t/rr/_25._tcp.mx.wide.example.org" ] && ok "run: 40 nameservers, no record published" ||
	not_ok "run: 40 nameservers, no record published"

# ------------------------------------------------- 4. the PowerDNS API
conf pdns-huge mx.example.org "[publisher pdns]
type = pdns
api_url = http://192.0.2.80:8081
api_key_file = $t/api.key
timeout = 3s" "publisher = pdns"
measure -c "$t/pdns-huge.conf" run
bounded "run: PowerDNS API answers with a 200 MiB body" 69 10 $RSS \
	"publisher pdns: GET http://192.0.2.80:8081/api/v1/servers/localhost/zones: answer larger than 1024 KiB, refused"
sleep 1	# the stand-in notes what it sent once the client is gone
sent=$(sed -n 's/^body: \([0-9]*\) octets.*/\1/p' "$t/http-huge.req" | head -n 1)
if [ -n "$sent" ] && [ "$sent" -lt $((16 * 1024 * 1024)) ] &&
	! grep -q '^PATCH' "$t/http-huge.req"; then
	ok "run: read $sent of 209715200 octets, then stopped; no PATCH sent"
else
	not_ok "run: stopped reading the huge body; no PATCH sent" "$(cat "$t/http-huge.req")"
fi
same "run: huge API answer, nothing advances" "$(slot "$t/pdns-huge.conf")" "publishing 1"

conf pdns-trickle mx.example.org "[publisher pdns]
type = pdns
api_url = http://192.0.2.81:8081
api_key_file = $t/api.key
zone = example.org
timeout = 3s" "publisher = pdns"
measure -c "$t/pdns-trickle.conf" run
bounded "run: PowerDNS API trickling its answer to the PATCH" 75 6 $RSS \
	"publisher pdns: PATCH http://192.0.2.81:8081/api/v1/servers/localhost/zones/example.org.: Timeout was reached: Operation timed out after 3"
same "run: trickled API answer, nothing advances" "$(slot "$t/pdns-trickle.conf")" "publishing 1"
grep -q 'not-a-real-api-key' "$t/out" "$t/err" &&
	not_ok "the API key is in no message" || ok "the API key is in no message"

# --------------------------------------------------------- 5. programs
conf pub-noisy mx-noisy.example.org "[publisher noisy]
type = exec
command = /usr/bin/yes endless publisher output
timeout = 3s" "publisher = noisy"
sed -i "s#/live/mx-#/live/noisy-#" "$t/pub-noisy.conf"
cp "$t/live/mx-ecdsa-p256.pem" "$t/live/noisy-ecdsa-p256.pem"
measure -c "$t/pub-noisy.conf" run
bounded "run: exec publisher writing without end" 75 6 $RSS \
	"/usr/bin/yes timed out after 3s" "/usr/bin/yes: output cut at 65536 bytes"
same "run: endless publisher, nothing advances" "$(slot "$t/pub-noisy.conf")" "publishing 1"
[ ! -e "$t/rr/_25._tcp.mx-noisy.example.org" ] && ok "run: endless publisher, no record published" ||
	not_ok "run: endless publisher, no record published"

# Up to the ISSUE step: publish, prove, age, roll; then one run later.
to_issue() { # NAME
	now=$(date +%s)
	ip netns exec "$NS" "$bin" -c "$t/$1.conf" run >"$t/$1.setup" 2>&1
	ip netns exec "$NS" "$bin" -c "$t/$1.conf" roll mx.example.org >>"$t/$1.setup" 2>&1
	[ "$(slot "$t/$1.conf")" = "ageing 0" ] || not_ok "$1: set up to the rollover" "$(cat "$t/$1.setup")"
}
# run_at_issue NAME HOST_LINES: host mx.example.org (publisher rr and
# HOST_LINES) brought to the ISSUE step, then one run, measured, when the
# new key has aged.
run_at_issue() {
	conf "$1" mx.example.org "" "publisher = rr
$2"
	to_issue "$1"
	envs="DANEROLL_NOW=$((now + 400))"
	measure -c "$t/$1.conf" run
	envs=
}
live_sum=$(sha256sum "$t/live/mx-ecdsa-p256.pem")
live_same() {
	[ "$(sha256sum "$t/live/mx-ecdsa-p256.pem")" = "$live_sum" ] &&
		ok "$1: the deployed file is unchanged" ||
		not_ok "$1: the deployed file is unchanged"
}

run_at_issue acme-endless "acme_hook = $t/hooks/endless"
bounded "run: ACME hook writing without end, deaf to SIGTERM (3 s + 5 s grace)" 75 16 $RSS \
	"$t/hooks/endless timed out after 3s" "$t/hooks/endless: output cut at 65536 bytes" \
	"ACME hook $t/hooks/endless timed out; will retry, the current certificate stays in service"
same "run: endless ACME hook, nothing advances" "$(slot "$t/acme-endless.conf")" "issuing 1"
live_same "run: endless ACME hook"
pgrep -f "endless ACME hook output $t" >/dev/null &&
	not_ok "run: endless ACME hook, nothing left running" "$(pgrep -af "endless ACME hook output $t")" ||
	ok "run: endless ACME hook, nothing left running"

run_at_issue acme-big "acme_hook = $t/hooks/bigchain"
bounded "run: ACME hook leaving a 2 MiB chain" 69 6 $RSS \
	"$t/acme-big/keys/mx.example.org/ecdsa-p256.2.issued.pem: 2097152 bytes, more than the limit of 1048576 bytes"
same "run: 2 MiB chain, nothing advances" "$(slot "$t/acme-big.conf")" "issuing 1"
live_same "run: 2 MiB chain"

run_at_issue reload-endless "acme_hook = $top/hooks/acme/local-ca $t/ca/settings
reload = /usr/bin/yes endless reload output"
bounded "run: reload command writing without end (run twice, 3 s each)" 69 12 $RSS \
	"reload /usr/bin/yes endless reload output timed out" \
	"/usr/bin/yes: output cut at 65536 bytes" "the previous set is restored"
same "run: endless reload, nothing promoted" "$(slot "$t/reload-endless.conf")" "deploying 1"
live_same "run: endless reload (restored)"

# -------------------------------------------- 6. what an ACME client hands
before=$(ip netns exec "$NS" "$bin" -c "$t/acme-endless.conf" status --json 2>/dev/null |
    json_keep status)
cp "$t/k.pem" "$t/lin/privkey.pem"
head -c 2097152 /dev/zero | tr '\0' A >"$t/big.pem"
chmod 600 "$t/big.pem"	# a key file must be private to be read at all
for i in $(seq 17); do cat "$t/c.pem"; done >"$t/c17.pem"
mkfifo "$t/fifo.pem"
hand() { # NAME KEY CHAIN TEXT: acme-hook refuses it with TEXT
	ln -sf "$2" "$t/lin/privkey.pem"
	ln -sf "$3" "$t/lin/fullchain.pem"
	envs="RENEWED_LINEAGE=$t/lin RENEWED_DOMAINS=mx.example.org"
	measure -c "$t/acme-endless.conf" acme-hook
	envs=
	bounded "acme-hook: $1" 65 5 $RSS "$4"
}
hand "a 2 MiB fullchain" "$t/k.pem" "$t/big.pem" \
	"$t/lin/fullchain.pem: 2097152 bytes, more than the limit of 1048576 bytes"
hand "17 certificates" "$t/k.pem" "$t/c17.pem" \
	"$t/lin/fullchain.pem: more than 16 certificates"
hand "the chain is a FIFO nobody writes to" "$t/k.pem" "$t/fifo.pem" \
	"$t/lin/fullchain.pem: not a regular file"
hand "the chain is /dev/zero" "$t/k.pem" /dev/zero \
	"$t/lin/fullchain.pem: not a regular file"
hand "the key is a FIFO" "$t/fifo.pem" "$t/c.pem" \
	"$t/lin/privkey.pem: not a regular file"
# An ACME client's key is read through root's link (key_load_linked):
# the error names the file it leads to.
hand "a 2 MiB key file" "$t/big.pem" "$t/c.pem" \
	"$t/big.pem: 2097152 bytes, more than the limit of 1048576 bytes"
same "acme-hook: nothing refused changed the state" \
	"$(ip netns exec "$NS" "$bin" -c "$t/acme-endless.conf" status --json 2>/dev/null |
	    json_keep status)" "$before"

# ---------------------------------------------------- 7. configuration
measure -c "$t/fifo.pem" config check
bounded "config check: the file is a FIFO" 78 5 $RSS "$t/fifo.pem: not a regular file"
measure -c /dev/zero config check
bounded "config check: the file is /dev/zero" 78 5 $RSS "/dev/zero: not a regular file"
truncate -s 100M "$t/huge.conf"
measure -c "$t/huge.conf" config check
bounded "config check: a 100 MiB file" 78 5 $RSS \
	"$t/huge.conf: 104857600 bytes, more than the limit of 8388608 bytes for a configuration file"
head -c 7340032 /dev/zero | tr '\0' x >"$t/line.conf"
chmod 600 "$t/line.conf"
measure -c "$t/line.conf" run
bounded "run: a 7 MiB configuration on one line" 78 5 $RSS \
	"$t/line.conf:1: line longer than 4096 characters"
conf tsig mx.example.org "[publisher bind]
type = rfc2136
server = 192.0.2.53
tsig_key_file = $t/fifo.pem" "publisher = bind"
measure -c "$t/tsig.conf" run
bounded "run: the TSIG key file is a FIFO" 69 5 $RSS "$t/fifo.pem: not a regular file"

# ------------------------------------------------ the trickling server
wait "$trickle_pid"
rc=$?
took "$t/trickle.time"
cp "$t/trickle.out" "$t/out"
cp "$t/trickle.err" "$t/err"
bounded "check: server trickling one byte a second (total limit 45 s)" 1 90 $RSS \
	"192.0.2.32 ecdsa-p256: banner: not done within the total time limit of 45 s"
summary
