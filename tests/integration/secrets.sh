#!/bin/sh
# Secret hygiene, proven: with a TSIG secret, a PowerDNS API key and
# private keys in play, every command runs (config check, plan, status,
# records, run through a whole rollover, roll, acme-hook with a certbot
# lineage, check) and no secret appears in its output, its --json, the
# database or the argv and environment of any program daneroll starts
# (exec publisher, ACME hook, reload). Secret files that group or others
# may read are refused with a clear message.
#
# DNS: a fake authoritative server on loopback (fake_auth_dns.py, on
# 127.0.0.1:PORT as the resolver and 127.0.0.2:53 as the zone's
# nameserver); the PowerDNS API is 127.0.0.1:9, where nothing listens.
# Nothing leaves the machine. Needs root for port 53 (else skipped).
set -u
. "$(dirname "$0")/testlib"
# The rollover fakes the clock (the test build).
loopback_test "secret hygiene" "needs root (port 53 on 127.0.0.2) and python3"
mkdir -p "$t/live" "$t/state" "$t/dumps" "$t/rr" "$t/hooks" "$t/ca" "$t/lineage"
chmod 700 "$t"

TSIG_B64=c2VjcmV0LXNob3VsZC1uZXZlci1sZWFr	# "secret-should-never-leak"
TSIG_RAW=secret-should-never-leak
API_KEY=ApiKey-5ecret-77821x
# In daneroll's own environment: no child may inherit it.
CANARY_SECRET=canary-in-the-parent-env-3f9a
export CANARY_SECRET

# A deployed key + certificate for mx1, a local CA for the ACME hook.
mini_deploy "$t"
local_ca "$t/ca"
printf 'key "dr" { algorithm hmac-sha256; secret "%s"; };\n' "$TSIG_B64" > "$t/tsig.key"
printf '%s\n' "$API_KEY" > "$t/api.key"
chmod 600 "$t/tsig.key" "$t/api.key"

# Every program daneroll runs is this one: it leaves its argv and
# environment in dumps/, then does its job (publish into the fake DNS's
# RRset files, issue with the local CA, or nothing for reload).
cat > "$t/hooks/dump" <<HOOK
#!/bin/sh
n=\$(date +%s%N)-\$\$
printf '%s\n' "\$0" "\$@" > "$t/dumps/argv.\$1.\$n"
tr '\0' '\n' < /proc/self/environ > "$t/dumps/env.\$1.\$n"
case "\$1" in
publish) shift 2; owner=\$1; shift 2
	exec "$top/tests/integration/rr_write" "$t/rr" "\$owner" "\$@" ;;
acme) exec "$top/hooks/acme/local-ca" "$t/ca/settings" ;;
esac
exit 0
HOOK
chmod 755 "$t/hooks/dump"

fake_dns 127.0.0.2 "secret hygiene"

{ conf_global; cat <<CONF; } > "$t/d.conf"
[publisher bind]
type = rfc2136
tsig_key_file = $t/tsig.key

[publisher api]
type = pdns
api_url = http://127.0.0.1:9
api_key_file = $t/api.key
zone = example.org

[publisher script]
type = exec
command = $t/hooks/dump publish

CONF
for h in mx1:script mx2:api mx3:bind; do
	conf_host "${h%:*}.example.org" "${h#*:}" "$t/hooks/dump acme" \
		"$t/hooks/dump reload"
done >> "$t/d.conf"

all="$t/all-output"
: > "$all"
# dr ARGS...: one command; its stdout and stderr are kept for the checks.
dr() {
	"$bin" -c "$t/d.conf" "$@" >>"$all" 2>&1
}
# drj COMMAND --json ARGS...: the same, and its document checked against
# its schema (testlib's json_keep).
drj() {
	"$bin" -c "$t/d.conf" "$@" 2>>"$all" | json_keep "$@" >>"$all"
}

now=$(date +%s)
dr config check
dr -v plan
drj plan --json
# A whole rollover of mx1 through the exec publisher and the ACME hook;
# mx2 (PowerDNS) and mx3 (RFC 2136) fail to publish, with the key and
# the secret in play.
DANEROLL_NOW=$now dr -vv run
dr roll mx1.example.org
for s in 1 2 3 4 5 6 7 8; do
	DANEROLL_NOW=$((now + s * 400)) dr -vv run
done
DANEROLL_NOW=$((now + 4000)) drj status --json
dr -v status
drj records --json mx1.example.org
dr records mx2.example.org
drj records --json mx3.example.org
dr -v check
drj check --json --prometheus "$t/prom"
[ -f "$t/prom" ] && cat "$t/prom" >> "$all"

# certbot's deploy hook: a certificate for a fresh key it made itself.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$t/lineage/privkey.pem" -out "$t/lineage/csr.pem" \
	-subj /CN=mx1.example.org 2>/dev/null
printf 'subjectAltName=DNS:mx1.example.org\n' > "$t/lineage/ext"
openssl x509 -req -in "$t/lineage/csr.pem" -CA "$t/ca/ca.pem" \
	-CAkey "$t/ca/ca.key" -set_serial 7 -days 30 -extfile "$t/lineage/ext" \
	-out "$t/lineage/cert.pem" 2>/dev/null
cp "$t/ca/ca.pem" "$t/lineage/chain.pem"
cat "$t/lineage/cert.pem" "$t/ca/ca.pem" > "$t/lineage/fullchain.pem"
chmod 600 "$t/lineage/privkey.pem"
RENEWED_LINEAGE=$t/lineage RENEWED_DOMAINS="mx1.example.org" dr -v acme-hook
RENEWED_LINEAGE=$t/lineage RENEWED_DOMAINS="mx1.example.org" dr --json acme-hook
DANEROLL_NOW=$((now + 8000)) dr -vv run
drj status --json

# The network was read by the confined child (privsep.h), as nobody.
nobody=$(id -u nobody)
if grep -q "network child [0-9]*: uid $nobody, no_new_privs, Landlock ABI [0-9]*, seccomp filter" "$all"; then
	ok "DNS and SMTP were read by the sandboxed child (uid $nobody)"
else
	not_ok "DNS and SMTP were read by the sandboxed child" "$(grep 'network child' "$all" | head -3)"
fi
grep -q "network child.*\(exited\|could not start\|cannot enter\)" "$all" &&
	not_ok "the network child never failed" "$(grep 'network child' "$all" | head -3)" ||
	ok "the network child never failed"

# What counts as secret: the TSIG secret (as written and decoded), the
# API key, the canary, and every private key on disk by its PEM header
# and the base64 lines of its body.
pat="$t/patterns"
printf '%s\n' "$TSIG_B64" "$TSIG_RAW" "$API_KEY" "$CANARY_SECRET" "PRIVATE KEY" > "$pat"
for k in "$t/k.pem" "$t/lineage/privkey.pem" "$t/ca/ca.key" "$t"/state/keys/*/*.key \
    "$t"/live/*.pem; do
	[ -f "$k" ] || continue
	sed -n '/BEGIN .*PRIVATE KEY/,/END .*PRIVATE KEY/p' "$k" |
		grep -v -- '-----' | grep -E '.{16,}' >> "$pat"
done
# Self-check: the patterns do find a key file and the TSIG key file.
if grep -q -F -f "$pat" "$t/k.pem" && grep -q -F -f "$pat" "$t/tsig.key"; then
	ok "the secret patterns find the secrets (self-check, $(wc -l < "$pat") patterns)"
else not_ok "the secret patterns find the secrets (self-check)"; fi
nkeys=$(ls "$t"/state/keys/*/*.key 2>/dev/null | wc -l)

# The run must have gone where the secrets are used, or the checks below
# prove nothing.
grep -q "publisher api" "$all" && ok "the PowerDNS publisher read its key and failed" ||
	not_ok "the PowerDNS publisher read its key and failed" "$(tail -n 20 "$all")"
grep -q "key dr" "$all" && ok "the RFC 2136 publisher signed with the TSIG key" ||
	not_ok "the RFC 2136 publisher signed with the TSIG key" "$(tail -n 20 "$all")"
[ "$nkeys" -ge 3 ] && ok "staged private keys exist ($nkeys)" || not_ok "staged private keys exist" "$nkeys"
for kind in publish acme reload; do
	if ls "$t"/dumps/env.$kind.* >/dev/null 2>&1; then ok "daneroll ran the $kind program"
	else not_ok "daneroll ran the $kind program" "$(tail -n 30 "$all")"; fi
done

if grep -a -F -f "$pat" "$all" >"$t/hits"; then
	not_ok "no secret in any output, message or --json" "$(head -n 5 "$t/hits")"
else ok "no secret in any output, message or --json ($(wc -l < "$all") lines)"; fi
ls "$t"/state/daneroll.db* >/dev/null 2>&1 && ok "the database exists" || not_ok "the database exists"
if cat "$t"/state/daneroll.db* | grep -a -F -f "$pat" >"$t/hits"; then
	not_ok "no secret in the database or its WAL" "$(head -c 300 "$t/hits")"
else ok "no secret in the database or its WAL"; fi
if command -v sqlite3 >/dev/null; then
	sqlite3 "$t/state/daneroll.db" .dump > "$t/dump.sql" 2>/dev/null
	if grep -a -F -f "$pat" "$t/dump.sql" >/dev/null; then
		not_ok "no secret in the event log (sqlite3 .dump)"
	else ok "no secret in the event log (sqlite3 .dump)"; fi
fi
if cat "$t"/dumps/argv.* | grep -a -F -f "$pat" >"$t/hits"; then
	not_ok "no secret in any child's argv" "$(head -n 5 "$t/hits")"
else ok "no secret in any child's argv ($(ls "$t"/dumps/argv.* | wc -l) runs)"; fi
if cat "$t"/dumps/env.* | grep -a -F -f "$pat" >"$t/hits"; then
	not_ok "no secret in any child's environment" "$(head -n 5 "$t/hits")"
else ok "no secret in any child's environment"; fi
extra=$(cat "$t"/dumps/env.* | grep -v -E '^(PATH|LANG|DANEROLL_(PUBLISHER|ZONE|SERVED|CSR|CHAIN|HOST|NAMES|ALG))=' |
	grep -v -E '^(PWD|SHLVL|_)=' | sort -u)
# PWD, SHLVL and _ are set by the hook's own /bin/sh, not by daneroll.
[ -z "$extra" ] && ok "children get only PATH, LANG and DANEROLL_* variables" ||
	not_ok "children get only PATH, LANG and DANEROLL_* variables" "$extra"

# Secret files that group or others may read are refused, by name.
# rep NAME FILE MODE HOST: the run for HOST must say why.
rep() {
	chmod "$3" "$2"
	# A clock past any back-off, jittered; no leading zero (octal).
	jit=$(date +%N | cut -c1-4 | sed 's/^0*//')
	out=$(DANEROLL_NOW=$((now + 9000 + ${jit:-0})) \
		"$bin" -c "$t/d.conf" run "$4" 2>&1)
	chmod 600 "$2"
	if echo "$out" | grep -q "$2: mode 0$3 is readable by group or others; chmod 600"; then
		ok "$1 with mode 0$3 refused, clearly"
	else not_ok "$1 with mode 0$3 refused, clearly" "$out"; fi
}
# Back-offs: give each host a fresh state so the refusal is reached.
rm -rf "$t/state"
rep "TSIG key file" "$t/tsig.key" 640 mx3.example.org
rm -rf "$t/state"
rep "API key file" "$t/api.key" 604 mx2.example.org
# certbot's privkey.pem readable by its group: acme-hook refuses it.
chmod 640 "$t/lineage/privkey.pem"
out=$(RENEWED_LINEAGE=$t/lineage RENEWED_DOMAINS="mx1.example.org" \
	"$bin" -c "$t/d.conf" acme-hook 2>&1); rc=$?
chmod 600 "$t/lineage/privkey.pem"
if [ $rc -ne 0 ] && echo "$out" | grep -q "$t/lineage/privkey.pem: private key file has mode 0640, which lets group or others read"; then
	ok "acme-hook: a private key with mode 0640 refused, clearly (exit $rc)"
else not_ok "acme-hook: a private key with mode 0640 refused, clearly" "rc=$rc $out"; fi

summary
