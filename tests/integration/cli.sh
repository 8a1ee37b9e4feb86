#!/bin/sh
# The daneroll binary as an operator meets it: exit codes, file:line
# errors, adoption of a deployed certificate, key files, dry runs, locks,
# and secrets that never show.
set -u
. "$(dirname "$0")/testlib"
bin=${DANEROLL_BIN:-./daneroll}
top=${DANEROLL_TOP:-.}
t=$(mktemp -d)
dnspid=
trap '[ -z "$dnspid" ] || kill "$dnspid" 2>/dev/null; rm -rf "$t"' EXIT
mkdir -p "$t/live" "$t/state"

# A certificate "deployed" for mx1, as Postfix would serve it.
mini_host "$t"

out=$("$bin" -c "$t/d.conf" config check 2>&1); rc=$?
[ $rc -eq 0 ] && ok "config check accepts a good file" || not_ok "config check accepts a good file" "$out"

# Valid; only the files it names on another machine are missing here.
out=$("$bin" -c "$top/examples/daneroll.conf" config check 2>&1); rc=$?
other=$(printf '%s\n' "$out" | grep 'error: ' | grep -v ': .* does not exist$')
if [ $rc -eq 0 ] || { [ $rc -eq 78 ] && [ -z "$other" ]; }; then ok "examples/daneroll.conf is valid"
else not_ok "examples/daneroll.conf is valid" "$out"; fi

sed 's/^ttl = 60/ttl = 60\nbogus_key = 1/' "$t/d.conf" > "$t/bad.conf"
exit_says 78 "bad.conf:5:" "unknown key: exit 78 with file:line" \
    "$bin" -c "$t/bad.conf" config check

out=$("$bin" -c "$t/missing.conf" plan 2>&1); rc=$?
[ $rc -eq 78 ] && ok "missing config: exit 78" || not_ok "missing config: exit 78" "rc=$rc $out"

"$bin" --help >/dev/null 2>&1 && ok "--help exits 0" || not_ok "--help exits 0"
"$bin" --version | grep -q '^daneroll [0-9]' && ok "--version" || not_ok "--version"
"$bin" -c "$t/d.conf" frobnicate >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] && ok "unknown command: exit 64" || not_ok "unknown command: exit 64" "rc=$rc"
"$bin" -c "$t/d.conf" status nosuch.example.org >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] && ok "unknown host: exit 64" || not_ok "unknown host: exit 64" "rc=$rc"
out=$("$bin" -c "$t/d.conf" check mx9.example 2>&1); rc=$?
if [ $rc -eq 3 ] && echo "$out" | grep -qF "mx9.example: no [host mx9.example] in $t/d.conf"; then
	ok "check, unknown host: exit 3, worded as every command"
else not_ok "check, unknown host: exit 3, worded as every command" "rc=$rc $out"; fi
# A Nagios plugin answers every call with a status line and 0-3 (issue 16).
out=$("$bin" -c "$t/missing.conf" check 2>/dev/null); rc=$?
if [ $rc -eq 3 ] && echo "$out" | grep -q "^DANE UNKNOWN - configuration error: $t/missing.conf"; then
	ok "check, configuration error: DANE UNKNOWN on stdout, exit 3"
else not_ok "check, configuration error: DANE UNKNOWN on stdout, exit 3" "rc=$rc $out"; fi
out=$("$bin" -c "$t/d.conf" check --no-such-option 2>/dev/null); rc=$?
if [ $rc -eq 3 ] && echo "$out" | grep -q "^DANE UNKNOWN - usage error"; then
	ok "check, usage error: DANE UNKNOWN on stdout, exit 3"
else not_ok "check, usage error: DANE UNKNOWN on stdout, exit 3" "rc=$rc $out"; fi
# -w/-c: thresholds on days to expiry; -c above -w, or not days, is a
# usage error said on the status line. After check, -c is not the file.
out=$("$bin" -c "$t/d.conf" check -w 10 -c 20 2>/dev/null); rc=$?
if [ $rc -eq 3 ] && [ "$out" = "DANE UNKNOWN - usage error: -c 20 is more than -w 10: a certificate is critical only once it is past the warning threshold" ]; then
	ok "check -w 10 -c 20: DANE UNKNOWN usage error, exit 3"
else not_ok "check -w 10 -c 20: DANE UNKNOWN usage error, exit 3" "rc=$rc $out"; fi
out=$("$bin" check -c "$t/d.conf" 2>/dev/null); rc=$?
if [ $rc -eq 3 ] && [ "$out" = "DANE UNKNOWN - usage error: -c $t/d.conf: not a number of days (0 to 3650)" ]; then
	ok "check -c FILE: -c is the critical threshold after check"
else not_ok "check -c FILE: -c is the critical threshold after check" "rc=$rc $out"; fi
exit_says 0 '^daneroll [0-9]' "check -V: the version, exit 0" "$bin" check -V

# A state directory never run with (a typo in --state-dir): said.
out=$("$bin" -c "$t/d.conf" --state-dir "$t/no-such-state" status 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "no daneroll state yet: $t/no-such-state/daneroll.db does not exist" &&
	[ ! -e "$t/no-such-state" ] && ok "status on a state never run with says so, creates nothing" ||
	not_ok "status on a state never run with says so, creates nothing" "rc=$rc $out"

# Dry run on an empty state: nothing created.
rm -rf "$t/state"
out=$("$bin" -c "$t/d.conf" run -n 2>&1); rc=$?
if [ $rc -eq 0 ] && [ ! -e "$t/state" ] && echo "$out" | grep -q "would adopt"; then
	ok "run -n decides and creates nothing"
else not_ok "run -n decides and creates nothing" "rc=$rc $out"; fi

out=$("$bin" -c "$t/d.conf" plan 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q "adopt" && echo "$out" | grep -q "publish"; then
	ok "plan lists adopt and publish"
else not_ok "plan lists adopt and publish" "$out"; fi
# Before the first run, the DNS change names every record (issue 17): the
# live key's digest (checked with openssl) and the next key to come.
live=$(spki_of_leaf "$t/c.pem")
if echo "$out" | grep -q "^    add     3 1 1 $live\$" &&
    echo "$out" | grep -q "add     3 1 1 (the next ecdsa-p256 key, generated by the first run)"; then
	ok "plan at first contact lists the records the first run adds"
else not_ok "plan at first contact lists the records the first run adds" "$out"; fi
out=$("$bin" -c "$t/d.conf" plan --json 2>/dev/null | json_keep plan)
if echo "$out" | jq -e --arg r "3 1 1 $live" '.hosts[0].dns_changes[0] | (.add == [$r]) and (.add_new == ["ecdsa-p256"]) and (.remove == [])' >/dev/null; then
	ok "plan --json at first contact: add, add_new, remove"
else not_ok "plan --json at first contact: add, add_new, remove" "$out"; fi

# A real run: adopts, generates the next key, then stops safe because DNS
# cannot be reached - publishing nothing - and says so; 75: try later.
exit_says 75 "127.0.0.1" \
    "run with DNS unreachable stops safe (75) and names the resolver" \
    "$bin" -c "$t/d.conf" run
key=$(ls "$t"/state/keys/mx1.example.org/ecdsa-p256.*.key 2>/dev/null | head -n 1)
if [ -n "$key" ] && [ "$(stat -c %a "$key")" = 600 ]; then ok "next key written with mode 0600"
else not_ok "next key written with mode 0600" "$(ls -l "$t"/state/keys/* 2>&1)"; fi
sum1=$(sha256sum "$key" | cut -d' ' -f1)
"$bin" -c "$t/d.conf" run >/dev/null 2>&1
sum2=$(sha256sum "$key" | cut -d' ' -f1)
n=$(ls "$t"/state/keys/mx1.example.org/*.key | wc -l)
[ "$sum1" = "$sum2" ] && [ "$n" -eq 1 ] && ok "a second run keeps the key, makes no other" || not_ok "a second run keeps the key, makes no other" "n=$n"

out=$("$bin" -c "$t/d.conf" status 2>&1)
if echo "$out" | grep -q "current 3 1 1" && echo "$out" | grep -q "next    3 1 1"; then
	ok "status shows the adopted current and the next key"
else not_ok "status shows the adopted current and the next key" "$out"; fi
"$bin" -c "$t/d.conf" status --json | json_keep status |
    python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["hosts"][0]["slots"][0]["current_spki"]' 2>/dev/null &&
	ok "status --json parses" || not_ok "status --json parses"

want=$(spki_of_leaf "$t/c.pem")
out=$("$bin" -c "$t/d.conf" records mx1.example.org 2>&1)
echo "$out" | grep -q "_25._tcp.mx1.example.org. 60 IN TLSA 3 1 1 $want" &&
	ok "records: the deployed key's 3 1 1 (checked with openssl)" || not_ok "records: the deployed key's 3 1 1 (checked with openssl)" "$out"
[ "$(echo "$out" | grep -c 'TLSA 3 1 1')" -eq 2 ] && ok "records: current + next" || not_ok "records: current + next" "$out"

# The run above backs off (DNS unreachable, retry in 5m); the operator
# says the cause is fixed: roll --resume ends the back-off, and the next
# run tries again at once.
out=$("$bin" -c "$t/d.conf" -v run 2>&1); rc=$?
if [ $rc -eq 75 ] && echo "$out" | grep -q "mx1.example.org/ecdsa-p256: backing off after a failure (until .*); last error: publish failed" &&
    echo "$out" | grep -q "daneroll roll --resume mx1.example.org"; then
	ok "run -v while backing off says until when, why, and how to retry now"
else not_ok "run -v while backing off says until when, why, and how to retry now" "rc=$rc $out"; fi
# Without -v too, and with the failure's own code: a timer or cron job
# must not look healthy while the host backs off (issue 12).
exit_says 75 "warning: .*backing off after a failure .*last error: publish failed" \
    "run while backing off reports the cause, exit 75 (not 0)" \
    "$bin" -c "$t/d.conf" run
out=$("$bin" -c "$t/d.conf" plan 2>&1)
echo "$out" | grep -q "backing off after a failure" || not_ok "backing off before roll --resume" "$out"
out=$("$bin" -c "$t/d.conf" roll --resume mx1.example.org 2>&1); rc=$?
plan=$("$bin" -c "$t/d.conf" plan 2>&1)
if [ $rc -eq 0 ] && echo "$out" | grep -q "0 stopped slots and 1 back-off end" &&
    ! echo "$plan" | grep -q "backing off after a failure"; then
	ok "roll --resume ends a back-off"
else not_ok "roll --resume ends a back-off" "rc=$rc $out $plan"; fi
exit_says 75 "publish failed 1 time" "the next run tries again at once" \
    "$bin" -c "$t/d.conf" run
"$bin" -c "$t/d.conf" roll --resume mx1.example.org >/dev/null 2>&1
exit_says 0 "nothing to resume" \
    "roll --resume with nothing stopped or backing off says so" \
    "$bin" -c "$t/d.conf" roll --resume mx1.example.org

"$bin" -c "$t/d.conf" roll mx1.example.org >/dev/null 2>&1 &&
	"$bin" -c "$t/d.conf" status | grep -q "rollover forced by the operator" &&
	ok "roll records a forced rollover" || not_ok "roll records a forced rollover"

# A host whose ACME client stays in charge (no acme_hook): daneroll
# cannot get the certificate a roll needs, so roll refuses, forcing
# nothing, and names what to do instead.
sed '/^acme_hook = /d' "$t/d.conf" > "$t/noacme.conf"
before=$("$bin" -c "$t/noacme.conf" status 2>&1 | grep -c "rollover forced")
out=$("$bin" -c "$t/noacme.conf" roll mx1.example.org 2>&1); rc=$?
after=$("$bin" -c "$t/noacme.conf" status 2>&1 | grep -c "rollover forced")
if [ $rc -eq 78 ] && echo "$out" | grep -q "mx1.example.org: no acme_hook: .*daneroll acme-hook" &&
    [ "$before" = "$after" ]; then
	ok "roll without acme_hook: refused (78), nothing forced"
else not_ok "roll without acme_hook: refused (78), nothing forced" "rc=$rc $out ($before/$after)"; fi

# dehydrated's HOOK gets every event; a challenge token is base64url and
# may begin with '-'. acme-hook takes such arguments as the client's, not
# as its options, and ignores events that are not deploy_cert.
out=$("$bin" -c "$t/d.conf" acme-hook deploy_challenge mx1.example.org \
    -vT0k3n -vT0k3n.xYz 2>&1); rc=$?
out2=$("$bin" -c "$t/d.conf" -q acme-hook clean_challenge mx1.example.org \
    --json -n 2>&1); rc2=$?
if [ $rc -eq 0 ] && [ -z "$out" ] && [ $rc2 -eq 0 ] && [ -z "$out2" ]; then
	ok "acme-hook: dehydrated challenge events with tokens like '-vT0k3n' ignored (exit 0)"
else not_ok "acme-hook: dehydrated challenge events with tokens like '-vT0k3n' ignored (exit 0)" "rc=$rc $out; rc=$rc2 $out2"; fi

# Two runs at once: the second waits lock_timeout, then exits 75.
if command -v flock >/dev/null; then
	flock "$t/state/locks/_25._tcp.mx1.example.org" sleep 4 &
	fl=$!
	sleep 0.5
	out=$("$bin" -c "$t/d.conf" run 2>&1); rc=$?
	kill $fl 2>/dev/null; wait $fl 2>/dev/null
	if [ $rc -eq 75 ] && echo "$out" | grep -q "locked"; then ok "concurrent run: exit 75 after the lock timeout"
	else not_ok "concurrent run: exit 75 after the lock timeout" "rc=$rc $out"; fi
else skip "concurrent run" "no flock(1)"; fi

# Secrets pass through memory: no core file, no ptrace or /proc/PID/mem
# for another process of the same user. A run as nobody, waiting for its
# lock, is looked at from outside: core limit 0 even under ulimit -c
# unlimited, and /proc/PID/mem is root's (a process that is not dumpable).
if command -v flock >/dev/null && id nobody >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	chmod 755 "$t"
	mkdir -p "$t/nstate/locks"; chown -R nobody "$t/nstate"; chmod 700 "$t/nstate"
	sed 's/^lock_timeout = 1s/lock_timeout = 5s/' "$t/d.conf" > "$t/slow.conf"
	# nobody runs a copy: the checkout may be where nobody cannot go
	# (a clone in /root, whose mode is 0700).
	mkdir -m 0755 "$t/nbin" && cp "$bin" "$t/nbin/daneroll" && chmod 0755 "$t/nbin/daneroll"
	su nobody -s /bin/sh -c "flock $t/nstate/locks/_25._tcp.mx1.example.org sleep 6" &
	fl=$!
	sleep 0.5
	(cd / && su nobody -s /bin/sh -c "ulimit -c unlimited; exec $t/nbin/daneroll -c $t/slow.conf --state-dir $t/nstate run") >"$t/nobody.out" 2>&1 &
	# It waits for the lock for 5 s: found within 4 s, even on a slow
	# machine.
	pid=
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		sleep 0.25
		pid=$(pgrep -u nobody -f "slow.conf --state-dir" | head -n 1)
		[ -n "$pid" ] && break
	done
	sleep 0.2
	core=$(awk '/^Max core file size/ { print $5 " " $6 }' "/proc/$pid/limits" 2>/dev/null)
	memu=$(stat -c %u "/proc/$pid/mem" 2>/dev/null)
	kill $fl 2>/dev/null; wait 2>/dev/null
	chmod 700 "$t"
	if [ -n "$pid" ] && [ "$core" = "0 0" ] && [ "$memu" = 0 ]; then
		ok "no core dumps: core limit 0 (under ulimit -c unlimited), not dumpable"
	else not_ok "no core dumps: core limit 0 (under ulimit -c unlimited), not dumpable" \
		"pid=$pid core=$core mem owner=$memu; the run said: $(cat "$t/nobody.out")"; fi
else skip "no core dumps" "needs root, nobody and flock(1)"; fi

# check answers at once with a fake DNS server on loopback as its
# resolver (unsigned example.org: mx1 is dnssec-unsigned).
port=$((20000 + $$ % 20000))
mkdir -p "$t/rr"
python3 "$top/tests/integration/fake_auth_dns.py" "$t/rr" 127.0.0.1:$port >"$t/dns.log" 2>&1 &
dnspid=$!
i=0
while ! grep -q ready "$t/dns.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sed "s/^resolver = .*/resolver = 127.0.0.1#$port/" "$t/d.conf" > "$t/check.conf"
out=$("$bin" -c "$t/check.conf" check --prometheus "$t/nodir/daneroll.prom" 2>&1); rc=$?
if [ $rc -ne 0 ] && [ ! -e "$t/nodir" ] &&
	echo "$out" | grep -qF -- "--prometheus $t/nodir/daneroll.prom: directory $t/nodir does not exist"; then
	ok "check --prometheus into a missing directory names the directory"
else not_ok "check --prometheus into a missing directory names the directory" "rc=$rc $out"; fi
# Thresholds reach the run: the warning field of the perfdata is -w's (no
# certificate is seen here, so no cert_days: the -w value must still be
# accepted and the status line well formed).
out=$("$bin" -c "$t/check.conf" check -w 21 -c 7 2>/dev/null | head -n 1); rc=$?
case $out in
"DANE CRITICAL - "*" | hosts=1;;;0 "*) ok "check -w 21 -c 7: a status line with perfdata" ;;
*) not_ok "check -w 21 -c 7: a status line with perfdata" "$out" ;;
esac

# Another user cannot read the state: a clear error, never an empty state.
# nobody runs a copy of the binary in $t/bin, since the checkout (under
# /root, say) may be closed to other users; where nobody cannot reach even
# that copy (a TMPDIR of root's own), the test skips and says why.
if id nobody >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	cp "$t/check.conf" "$t/pub.conf"; chmod 644 "$t/pub.conf"; chmod 755 "$t"
	mkdir -m 0755 "$t/bin" && cp "$bin" "$t/bin/daneroll" && chmod 0755 "$t/bin/daneroll"
	ubin=$t/bin/daneroll
	if ! su nobody -s /bin/sh -c "test -x $ubin && test -r $t/pub.conf" 2>/dev/null; then
		skip "unreadable state" "nobody cannot reach $ubin or $t/pub.conf (mode of a directory above $t?)"
	else
		out=$(su nobody -s /bin/sh -c "$ubin -c $t/pub.conf status" 2>&1); rc=$?
		if [ $rc -eq 66 ] && echo "$out" | grep -q "daneroll.db: Permission denied"; then
			ok "unreadable state: exit 66 naming the database"
		else not_ok "unreadable state: exit 66 naming the database" "rc=$rc $out"; fi
		out=$(su nobody -s /bin/sh -c "$ubin -c $t/pub.conf check" 2>"$t/check.err"); rc=$?
		if [ $rc -ne 0 ] && ! echo "$out" | grep -q "no daneroll state" &&
			echo "$out" | grep -Eq "^UNKNOWN +- +state +cannot read the daneroll state: $t/state/daneroll.db: Permission denied$"; then
			ok "check, unreadable state: UNKNOWN naming the database, not \"no state\""
		else not_ok "check, unreadable state: UNKNOWN naming the database" "rc=$rc $out
stderr: $(cat "$t/check.err")"; fi
	fi
	chmod 700 "$t"
else skip "unreadable state" "needs root and a nobody user"; fi

# A corrupt database is refused and left as it was.
cp "$t/state/daneroll.db" "$t/db.bak"
printf 'garbage' | dd of="$t/state/daneroll.db" bs=1 seek=100 conv=notrunc 2>/dev/null
rm -f "$t/state/daneroll.db-wal" "$t/state/daneroll.db-shm"
before=$(sha256sum "$t/state/daneroll.db" | cut -d' ' -f1)
"$bin" -c "$t/d.conf" run >/dev/null 2>&1; rc=$?
after=$(sha256sum "$t/state/daneroll.db" | cut -d' ' -f1)
[ $rc -ne 0 ] && [ "$before" = "$after" ] && ok "damaged database refused, not overwritten" || not_ok "damaged database refused, not overwritten" "rc=$rc"
cp "$t/db.bak" "$t/state/daneroll.db"

# Fail closed (issue 12): a served file that exists but is not a
# certificate is unknown, not "nothing deployed". On a fresh state the run
# changes nothing (no key generated, no DNS touched: the resolver is a
# dead port, so any attempt would also show as a 75), names the file,
# exits 69; run --wait stops at once instead of repeating the error.
u="$t/unreadable"
mkdir -p "$u/live"
sed -e "s|^state_dir = .*|state_dir = $u/state|" \
    -e "s|^combined_file = .*|combined_file = $u/live/mx1-%a.pem|" "$t/d.conf" > "$u/d.conf"
for content in garbage "" "-----BEGIN CERTIFICATE-----"; do
	printf '%s\n' "$content" > "$u/live/mx1-ecdsa-p256.pem"
	out=$("$bin" -c "$u/d.conf" run 2>&1); rc=$?
	nkeys=$(ls "$u"/state/keys/mx1.example.org/*.key 2>/dev/null | wc -l)
	if [ $rc -eq 69 ] && [ "$nkeys" -eq 0 ] &&
	    echo "$out" | grep -q "$u/live/mx1-ecdsa-p256.pem" &&
	    echo "$out" | grep -q "unknown" && ! echo "$out" | grep -q "publish"; then
		ok "served file '$content': unknown, nothing changes, exit 69 naming it"
	else not_ok "served file '$content': unknown, nothing changes, exit 69 naming it" "rc=$rc keys=$nkeys $out"; fi
done
start=$(date +%s)
out=$(timeout 60 "$bin" -c "$u/d.conf" run --wait 2>&1); rc=$?
took=$(( $(date +%s) - start ))
if [ $rc -eq 69 ] && [ "$took" -lt 10 ]; then
	ok "run --wait on what waiting cannot change exits 69 at once (${took}s)"
else not_ok "run --wait on what waiting cannot change exits 69 at once" "rc=$rc took=${took}s $out"; fi
out=$("$bin" -c "$u/d.conf" status 2>&1)
echo "$out" | grep -q "serves  unknown: $u/live/mx1-ecdsa-p256.pem" &&
	echo "$out" | grep -q "critical: the served certificate cannot be read" &&
	ok "status shows the unknown served file and the critical alert" ||
	not_ok "status shows the unknown served file and the critical alert" "$out"

# Secrets: the TSIG secret and private keys never show anywhere.
secret=$MINI_SECRET
all=$("$bin" -c "$t/d.conf" -v run 2>&1
    "$bin" -c "$t/d.conf" plan --json 2>&1 >"$t/plan.json"; cat "$t/plan.json"
    "$bin" -c "$t/d.conf" status --json 2>&1 >"$t/status.json"; cat "$t/status.json")
json_keep plan <"$t/plan.json" >/dev/null
json_keep status <"$t/status.json" >/dev/null
if echo "$all" | grep -q -e "$secret" -e "PRIVATE KEY"; then not_ok "no secret in any output"; else ok "no secret in any output"; fi
if grep -a -q -e "$secret" -e "PRIVATE KEY" "$t"/state/daneroll.db*; then not_ok "no secret in the database"; else ok "no secret in the database"; fi

summary
