#!/bin/sh
# Integration: ACME issuance and deployment against real servers, inside a
# network namespace of its own (dracme, or $ACME_NS; address 192.0.2.80
# only):
#
#   - pebble (PEBBLE_VA_ALWAYS_VALID=1, no DNS or HTTP validation) with the
#     certbot, lego, dehydrated and acme.sh adapters of hooks/acme, each
#     run through daneroll's issuer backend (fixed environment, no shell)
#     for the CSR daneroll makes for a pre-generated key: the leaf's key
#     must be that key (checked with openssl); acme.sh also for an RSA
#     key with the account of its first run, and refused by pebble;
#   - acme.sh in charge (Debian 13's acme.sh 3.1.1, installed by
#     tests/deps.sh world): --issue for a key of its own, then
#     --install-cert and --renew run "daneroll acme-hook" as --reloadcmd;
#     daneroll's status must show acme.sh's key as the next key and the
#     renewed certificate staged for it;
#   - lego (4's --run-hook) and dehydrated (its HOOK wrapper) in charge
#     the same way: each issues for a key of its own, its hook runs
#     "daneroll acme-hook", and that key must become the next key;
#   - a real Postfix (private config directory, STARTTLS on port 25,
#     smtpd_tls_chain_files with a combined key + chain file) receiving
#     those chains through daneroll's files deployer, observed on the wire
#     with openssl s_client -starttls smtp: the served key changes on
#     deploy, a failing reload leaves the old chain served, a rollback
#     serves the old chain again.
#
# The backends run through tests/integration/acme-driver.c, built by
# make check-build as BUILD/tests/acme-driver (with BUILD's compiler and
# sanitizer flags). Needs root; skips cleanly otherwise or when a package
# is missing (make check installs them).
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${DANEROLL_BUILD:-$top/build}
driver=$build/tests/acme-driver
NS=${ACME_NS:-dracme}
ADDR=192.0.2.80
HOST=mx.example.org
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH

if [ "$(id -u)" -ne 0 ]; then
	skip "acme integration" "needs root (network namespace, Postfix)"
	summary
	exit 0
fi
missing=""
for c in pebble certbot lego dehydrated postfix openssl python3 ip; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
if [ -n "$missing" ] || [ ! -x "$driver" ]; then
	skip "acme integration" "missing:${missing:- $driver (make check-build)}"
	summary
	exit 0
fi
# acme.sh (Debian 13's package; tests/deps.sh world installs it): only
# its cases are skipped without it.
ACMESH=${ACMESH_BIN:-$(command -v acme.sh)}
acmesh_case=acme.sh
[ -x "$ACMESH" ] || acmesh_case=""

tmp=$(mktemp -d /tmp/daneroll-acme.XXXXXX)
chmod 755 "$tmp"
pebble_pid=""
postfix_pid=""
master_pid=""
teardown() {
	# "postfix start-fg" runs master as a child of postfix-script: stop
	# it through Postfix, then make sure of it by its PID.
	if [ -n "$postfix_pid" ]; then
		ip netns exec "$NS" postfix -c "$tmp/postfix" stop >/dev/null 2>&1
		[ -n "$master_pid" ] && kill "$master_pid" 2>/dev/null
		kill "$postfix_pid" 2>/dev/null
		wait "$postfix_pid" 2>/dev/null
	fi
	if [ -n "$pebble_pid" ]; then
		kill "$pebble_pid" 2>/dev/null
		wait "$pebble_pid" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$tmp"
}
trap teardown EXIT
trap 'exit 1' INT TERM

nsx() { ip netns exec "$NS" "$@"; }

# HTTPS GET inside the namespace, trusting only CA (python3 is in the
# test world's packages; curl is not).
fetch() { # URL CA
	nsx python3 -c 'import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
sys.stdout.write(urllib.request.urlopen(sys.argv[1], context=ctx,
    timeout=5).read().decode())' "$1" "$2"
}

# What Postfix serves on the wire now: SPKI digest of the leaf, or "none".
WIRE_DIR=$tmp
served_spki() { wire_spki "$ADDR" "$HOST" "$@"; }

# tempfail_says LOG PATTERN WHAT: the driver's last run failed for now
# (exit 75, in $rc) and its LOG says PATTERN.
tempfail_says() {
	if [ "$rc" -eq 75 ] && grep -q "$2" "$1"; then ok "$3"; else
		not_ok "$3" "exit $rc: $(cat "$1")"; fi
}

# ---- the namespace and the driver ---------------------------------------
ip netns del "$NS" 2>/dev/null
if ! ip netns add "$NS" || ! ip -n "$NS" link set lo up ||
    ! ip -n "$NS" addr add "$ADDR/32" dev lo; then
	not_ok "network namespace $NS"
	summary
	exit 1
fi
ok "network namespace $NS with $ADDR"

# ---- pebble ---------------------------------------------------------------
mkdir -p "$tmp/pebble" "$tmp/www/.well-known/acme-challenge"
(
	cd "$tmp/pebble" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout tls-ca.key -out tls-ca.pem -subj "/CN=pebble test TLS CA" \
	    -days 2 &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout key.pem -out tls.csr -subj "/CN=pebble" &&
	printf 'subjectAltName=IP:%s,DNS:pebble\n' "$ADDR" >ext &&
	openssl x509 -req -in tls.csr -CA tls-ca.pem -CAkey tls-ca.key \
	    -set_serial 1 -days 2 -extfile ext -out cert.pem
) >"$tmp/pebble/tls.log" 2>&1
cat >"$tmp/pebble/config.json" <<EOF
{ "pebble": {
    "listenAddress": "$ADDR:14000",
    "managementListenAddress": "$ADDR:15000",
    "certificate": "$tmp/pebble/cert.pem",
    "privateKey": "$tmp/pebble/key.pem",
    "httpPort": 5002, "tlsPort": 5001,
    "ocspResponderURL": "", "externalAccountBindingRequired": false } }
EOF
PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
    ip netns exec "$NS" pebble -config "$tmp/pebble/config.json" \
    >"$tmp/pebble/pebble.log" 2>&1 &
pebble_pid=$!
CA="$tmp/pebble/tls-ca.pem"
DIR_URL="https://$ADDR:14000/dir"
if poll 20 fetch "$DIR_URL" "$CA"; then
	ok "pebble serves its directory at $DIR_URL"
else
	not_ok "pebble started" "$(tail -n 5 "$tmp/pebble/pebble.log")"
	summary
	exit 1
fi
# pebble makes a new root at every start: fetch it and its intermediate.
fetch "https://$ADDR:15000/roots/0" "$CA" >"$tmp/pebble/root.pem"
fetch "https://$ADDR:15000/intermediates/0" "$CA" >"$tmp/pebble/intermediate.pem"

# ---- adapter settings and the daneroll configuration --------------------
cat >"$tmp/certbot.conf" <<EOF
CERTBOT_SERVER=$DIR_URL
CERTBOT_EMAIL=postmaster@example.org
CERTBOT_AUTH="--webroot --webroot-path $tmp/www"
CERTBOT_CONFIG_DIR=$tmp/certbot/config
CERTBOT_WORK_DIR=$tmp/certbot/work
CERTBOT_LOGS_DIR=$tmp/certbot/logs
CERTBOT_CA_BUNDLE=$CA
EOF
cat >"$tmp/lego.conf" <<EOF
LEGO_SERVER=$DIR_URL
LEGO_EMAIL=postmaster@example.org
LEGO_DIR=$tmp/lego
LEGO_AUTH="--http --http.webroot $tmp/www"
LEGO_CA_BUNDLE=$CA
EOF
mkdir -p "$tmp/dehydrated"
cat >"$tmp/dehydrated/config" <<EOF
CA="$DIR_URL"
CONTACT_EMAIL="postmaster@example.org"
BASEDIR="$tmp/dehydrated"
CHALLENGETYPE="http-01"
WELLKNOWN="$tmp/www/.well-known/acme-challenge"
CURL_OPTS="--cacert $CA"
EOF
cat >"$tmp/dehydrated.conf" <<EOF
DEHYDRATED_CONFIG=$tmp/dehydrated/config
EOF
cat >"$tmp/acme.sh.conf" <<EOF
ACMESH=$ACMESH
ACMESH_HOME=$tmp/acmesh
ACMESH_SERVER=$DIR_URL
ACMESH_EMAIL=postmaster@example.org
ACMESH_AUTH="-w $tmp/www"
ACMESH_CA_BUNDLE=$CA
EOF
chmod 600 "$tmp"/*.conf

# The reload: postfix reload, made to fail once while reload-fail exists.
cat >"$tmp/reload" <<EOF
#!/bin/sh
if [ -e "$tmp/reload-fail" ]; then
	rm -f "$tmp/reload-fail"
	echo "postfix/postfix-script: fatal: simulated reload failure" >&2
	exit 1
fi
# Postfix checks inet_interfaces: reload from inside the namespace.
exec /usr/sbin/ip netns exec $NS /usr/sbin/postfix -c "$tmp/postfix" reload
EOF
chmod 700 "$tmp/reload"

mkdir -p "$tmp/tls" "$tmp/keys"
conf() { # acme_hook adapter -> a daneroll.conf for it
	cat >"$tmp/daneroll-$1.conf" <<EOF
[global]
state_dir = $tmp/state

[publisher dns]
type = rfc2136
tsig_key_file = $tmp/tsig.key

[host $HOST]
publisher = dns
algorithms = rsa2048 ecdsa-p256
combined_file = $tmp/tls/mx-%a.pem
acme_hook = $top/hooks/acme/$1 $tmp/$1.conf
reload = $tmp/reload
hook_timeout = 60s
EOF
	chmod 600 "$tmp/daneroll-$1.conf"
}

# ---- each adapter issues for a pre-generated key ------------------------
for a in certbot lego dehydrated $acmesh_case; do
	conf "$a"
	key="$tmp/keys/$a.key"
	(umask 077 && openssl genpkey -algorithm EC \
	    -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null)
	"$driver" csr "$tmp/daneroll-$a.conf" "$HOST" ecdsa-p256 "$key" \
	    "$tmp/keys/$a.csr" 2>/dev/null
	start=$(date +%s)
	if nsx "$driver" issue "$tmp/daneroll-$a.conf" "$HOST" ecdsa-p256 \
	    "$tmp/keys/$a.csr" "$tmp/keys/$a.chain" >"$tmp/$a.log" 2>&1; then
		ok "$a: issued by pebble through daneroll's hook ($(($(date +%s) - start)) s)"
	else
		not_ok "$a: issued by pebble through daneroll's hook" \
		    "$(tail -n 5 "$tmp/$a.log")"
		continue
	fi
	want=$(spki_of_key "$key")
	got=$(spki_of_leaf "$tmp/keys/$a.chain")
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		ok "$a: the leaf's key is the pre-generated key"
	else
		not_ok "$a: the leaf's key is the pre-generated key" \
		    "leaf $got, key $want"
	fi
	n=$(grep -c 'BEGIN CERTIFICATE' "$tmp/keys/$a.chain")
	if [ "$n" -ge 2 ] && openssl verify -CAfile "$tmp/pebble/root.pem" \
	    -untrusted "$tmp/keys/$a.chain" "$tmp/keys/$a.chain" >/dev/null 2>&1
	then
		ok "$a: leaf first, then the intermediate ($n certificates, verifies to pebble's root)"
	else
		not_ok "$a: leaf first, then the intermediate" \
		    "$n certificates; $(openssl verify -CAfile "$tmp/pebble/root.pem" \
		    -untrusted "$tmp/keys/$a.chain" "$tmp/keys/$a.chain" 2>&1)"
	fi
done

# ---- acme.sh: the account is kept; an ACME error is temporary ----------
if [ -n "$acmesh_case" ]; then
	acct() { find "$tmp/acmesh/ca" -name account.key 2>/dev/null; }
	acct_before=$(acct | xargs -r cat | openssl dgst -sha256 -r)
	(umask 077 && openssl genpkey -algorithm RSA \
	    -pkeyopt rsa_keygen_bits:2048 -out "$tmp/keys/acme.sh-rsa.key" 2>/dev/null)
	"$driver" csr "$tmp/daneroll-acme.sh.conf" "$HOST" rsa2048 \
	    "$tmp/keys/acme.sh-rsa.key" "$tmp/keys/acme.sh-rsa.csr" 2>/dev/null
	nsx "$driver" issue "$tmp/daneroll-acme.sh.conf" "$HOST" rsa2048 \
	    "$tmp/keys/acme.sh-rsa.csr" "$tmp/keys/acme.sh-rsa.chain" \
	    >"$tmp/acme.sh-rsa.log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$(spki_of_leaf "$tmp/keys/acme.sh-rsa.chain")" = \
	    "$(spki_of_key "$tmp/keys/acme.sh-rsa.key")" ]; then
		ok "acme.sh: an RSA-2048 chain for the pre-generated RSA key"
	else
		not_ok "acme.sh: an RSA-2048 chain" \
		    "exit $rc: $(tail -n 5 "$tmp/acme.sh-rsa.log")"
	fi
	n=$(acct | wc -l)
	if [ "$n" -eq 1 ] && [ "$(acct | xargs -r cat | openssl dgst -sha256 -r)" = "$acct_before" ] &&
	    [ "$(stat -c %a "$tmp/acmesh")" = 700 ]; then
		ok "acme.sh: the second run used the account registered by the first (ACMESH_HOME, mode 700)"
	else
		not_ok "acme.sh: the second run used the first run's account" \
		    "$n account keys; ACMESH_HOME mode $(stat -c %a "$tmp/acmesh")"
	fi

	# pebble refuses a contact without a domain: acme.sh exits 1.
	sed -e "s|^ACMESH_HOME=.*|ACMESH_HOME=$tmp/acmesh-refused|" \
	    -e 's|^ACMESH_EMAIL=.*|ACMESH_EMAIL=postmaster|' \
	    "$tmp/acme.sh.conf" >"$tmp/acme.sh-refused.conf"
	sed "s|^acme_hook = .*|acme_hook = $top/hooks/acme/acme.sh $tmp/acme.sh-refused.conf|" \
	    "$tmp/daneroll-acme.sh.conf" >"$tmp/daneroll-acme.sh-refused.conf"
	chmod 600 "$tmp/acme.sh-refused.conf" "$tmp/daneroll-acme.sh-refused.conf"
	nsx "$driver" issue "$tmp/daneroll-acme.sh-refused.conf" "$HOST" ecdsa-p256 \
	    "$tmp/keys/acme.sh.csr" "$tmp/keys/refused.chain" >"$tmp/refused.log" 2>&1
	rc=$?
	if [ "$rc" -eq 75 ] && grep -q 'exited 75 (temporary failure)' "$tmp/refused.log" &&
	    grep -q 'invalidContact' "$tmp/refused.log" && [ ! -e "$tmp/keys/refused.chain" ]; then
		ok "acme.sh: an ACME error (pebble refuses the account's contact) is temporary (75), acme.sh's words in daneroll's log"
	else
		not_ok "acme.sh: an ACME error is a temporary failure" \
		    "exit $rc: $(tail -n 5 "$tmp/refused.log")"
	fi
else
	skip "acme.sh adapter" "missing: acme.sh (sh tests/deps.sh world)"
fi

# An RSA chain too, for the second file of smtpd_tls_chain_files.
(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$tmp/keys/rsa.key" 2>/dev/null)
"$driver" csr "$tmp/daneroll-lego.conf" "$HOST" rsa2048 \
    "$tmp/keys/rsa.key" "$tmp/keys/rsa.csr" 2>/dev/null
if nsx "$driver" issue "$tmp/daneroll-lego.conf" "$HOST" rsa2048 \
    "$tmp/keys/rsa.csr" "$tmp/keys/rsa.chain" >"$tmp/rsa.log" 2>&1 &&
    [ "$(spki_of_leaf "$tmp/keys/rsa.chain")" = "$(spki_of_key "$tmp/keys/rsa.key")" ]
then
	ok "lego: an RSA-2048 chain for the pre-generated RSA key"
else
	not_ok "lego: an RSA-2048 chain" "$(tail -n 5 "$tmp/rsa.log")"
fi

# A hook that exits 0 without a chain is a temporary failure, said so.
cat >"$tmp/nochain" <<'EOF'
#!/bin/sh
echo "issued, honestly"
EOF
chmod 700 "$tmp/nochain"
sed "s|^acme_hook = .*|acme_hook = $tmp/nochain|" "$tmp/daneroll-certbot.conf" \
    >"$tmp/daneroll-nochain.conf"
chmod 600 "$tmp/daneroll-nochain.conf"
"$driver" issue "$tmp/daneroll-nochain.conf" "$HOST" ecdsa-p256 \
    "$tmp/keys/certbot.csr" "$tmp/keys/nochain.pem" >"$tmp/nochain.log" 2>&1
rc=$?
tempfail_says "$tmp/nochain.log" 'left no certificate chain' \
    "a hook exiting 0 without a chain: temporary failure"

# ---- acme.sh in charge: its --reloadcmd runs daneroll acme-hook ---------
# acme.sh issues for a key of its own and hands each certificate over
# through "--install-cert --reloadcmd", which it runs with eval. The DNS
# side is a stub (resolver where nothing listens), so daneroll takes the
# key over and its publish then fails: acme-hook exits 75.
DR=${DANEROLL_BIN:-$top/daneroll}
b="$tmp/b"
# The first slot of HOST in daneroll's status: next SPKI, current SPKI,
# number of "re-keyed" events, last error (one line each).
b_status() {
	"$DR" -c "$b/daneroll.conf" status --json "$HOST" 2>/dev/null |
	    json_keep status "$HOST" | python3 -c 'import json, sys
h = json.load(sys.stdin)["hosts"][0]
s = h["slots"][0]
print(s["next_spki"] or "-")
print(s["current_spki"] or "-")
print(sum("the ACME client re-keyed" in e["reason"] for e in h["events"]))
print(s["last_error"] or "-")'
}
serial_of() { openssl x509 -in "$1" -noout -serial 2>/dev/null; }
# acme.sh ARGS..., in the namespace, in an environment as bare as cron's
# (the sanitizer settings of tests/run.sh --sanitized pass).
acmesh_b() {
	nsx env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    ${ASAN_OPTIONS:+"ASAN_OPTIONS=$ASAN_OPTIONS"} \
	    ${UBSAN_OPTIONS:+"UBSAN_OPTIONS=$UBSAN_OPTIONS"} \
	    ${ASAN_SYMBOLIZER_PATH:+"ASAN_SYMBOLIZER_PATH=$ASAN_SYMBOLIZER_PATH"} \
	    "$ACMESH" --home "$b/acmesh" "$@"
}
if [ -z "$acmesh_case" ] || [ ! -x "$DR" ]; then
	[ -n "$acmesh_case" ] && missing=" $DR" || missing=" acme.sh (sh tests/deps.sh world)"
	skip "acme.sh in charge, daneroll acme-hook as --reloadcmd" \
	    "missing:$missing"
else
	mkdir -p "$b/live" "$b/state"
	# A TSIG key never used: no DNS server listens here.
	(umask 077 && printf 'key "dr" { algorithm hmac-sha256; secret "%s"; };\n' \
	    "$(openssl rand -base64 32)" >"$b/tsig.key")
	cat >"$b/daneroll.conf" <<EOF
[global]
state_dir = $b/state
resolver = 127.0.0.1#9

[publisher dns]
type = rfc2136
tsig_key_file = $b/tsig.key

[host $HOST]
publisher = dns
algorithms = ecdsa-p256
combined_file = $b/live/mx-%a.pem
reload = /bin/true
EOF
	chmod 600 "$b/daneroll.conf"
	dom="$b/acmesh/${HOST}_ecc"

	if acmesh_b --issue -d "$HOST" -w "$tmp/www" --server "$DIR_URL" \
	    --ca-bundle "$CA" --accountemail postmaster@example.org \
	    >"$b/issue.log" 2>&1 &&
	    openssl pkey -in "$dom/$HOST.key" -noout -text 2>/dev/null |
	    grep -q 'NIST CURVE: P-256'; then
		ok "acme.sh --issue: a certificate for a key of its own, ECDSA P-256 (its default, ec-256)"
	else
		not_ok "acme.sh --issue" "$(tail -n 5 "$b/issue.log")"
	fi
	K=$(spki_of_key "$dom/$HOST.key")

	# The reload command: daneroll as documented, the environment and
	# daneroll's exit status noted on the side.
	reload="env >$b/reload.env; $DR -c $b/daneroll.conf acme-hook; r=\$?; echo \$r >$b/hook.rc; test \$r -eq 0"
	acmesh_b --install-cert -d "$HOST" --ecc --key-file "$b/key.pem" \
	    --fullchain-file "$b/fullchain.pem" --reloadcmd "$reload" \
	    >"$b/install.log" 2>&1
	rc=$?
	if grep -qx "CERT_KEY_PATH=$dom/$HOST.key" "$b/reload.env" &&
	    grep -qx "CERT_FULLCHAIN_PATH=$dom/fullchain.cer" "$b/reload.env" &&
	    grep -qx "Le_Domain=$HOST" "$b/reload.env"; then
		ok "--reloadcmd ran with CERT_KEY_PATH, CERT_FULLCHAIN_PATH (acme.sh's own files) and Le_Domain exported"
	else
		not_ok "--reloadcmd ran with acme.sh's variables" \
		    "$(grep -s 'CERT_\|Le_' "$b/reload.env")"
	fi
	# shellcheck disable=SC2046 # three words, split on purpose
	set -- $(b_status | sed -n 1,3p)
	if [ "${1:-}" = "$K" ] && [ "${2:-}" = - ] && [ "${3:-}" = 1 ] &&
	    grep -q "the ACME client's new key (3 1 1 $K) becomes the next key" "$b/install.log"
	then
		ok "acme-hook (host from Le_Domain): acme.sh's key is the next key, event 'the ACME client re-keyed'"
	else
		not_ok "acme-hook took acme.sh's key as the next key" \
		    "status: $*; acme.sh's key $K; $(tail -n 5 "$b/install.log")"
	fi
	copy=$(find "$b/state" -name 'ecdsa-p256.*.intake.key')
	chain=$(find "$b/state" -name 'ecdsa-p256.*.chain.pem')
	S1=$(serial_of "$dom/$HOST.cer")
	if [ -n "$copy" ] && [ "$(stat -c %a "$copy")" = 600 ] &&
	    [ "$(spki_of_key "$copy")" = "$K" ] && [ -n "$S1" ] &&
	    [ "$(serial_of "$chain")" = "$S1" ] && [ ! -e "$b/live/mx-ecdsa-p256.pem" ]
	then
		ok "daneroll keeps its own copy of the key (mode 600) and the chain; nothing deployed before the record ages"
	else
		not_ok "daneroll keeps a copy of key and chain, deploys nothing" \
		    "copy '$copy' $(stat -c %a "$copy" 2>/dev/null); chain '$chain' $(serial_of "$chain"), acme.sh's $S1"
	fi
	last=$(b_status | sed -n 4p)
	if [ "$(cat "$b/hook.rc" 2>/dev/null)" = 75 ] && [ "$rc" -eq 1 ] &&
	    grep -q "Reload error for: $HOST" "$b/install.log" &&
	    case $last in "publish failed"*) true ;; *) false ;; esac
	then
		ok "acme-hook exits 75 (taken over, the publish then fails: no DNS here); acme.sh says 'Reload error' and exits 1"
	else
		not_ok "acme-hook exits 75; acme.sh reports the reload error" \
		    "acme-hook $(cat "$b/hook.rc" 2>/dev/null), acme.sh $rc; last error: $last"
	fi

	# acme.sh renews with the same key: the certificate for daneroll's
	# (now pre-published) next key is staged.
	acmesh_b --renew -d "$HOST" --ecc --force >"$b/renew.log" 2>&1
	rc=$?
	S2=$(serial_of "$dom/$HOST.cer")
	if [ -n "$S2" ] && [ "$S2" != "$S1" ] && [ "$(spki_of_key "$dom/$HOST.key")" = "$K" ]; then
		ok "acme.sh --renew: a new certificate for the same key"
	else
		not_ok "acme.sh --renew: a new certificate for the same key" \
		    "serial $S1 -> $S2; $(tail -n 5 "$b/renew.log")"
	fi
	# shellcheck disable=SC2046 # three words, split on purpose
	set -- $(b_status | sed -n 1,3p)
	if [ "${1:-}" = "$K" ] && [ "${3:-}" = 1 ] &&
	    [ "$(serial_of "$chain")" = "$S2" ] &&
	    grep -q 'certificate for the pre-published next key staged' "$b/renew.log" &&
	    [ "$(cat "$b/hook.rc")" = 75 ] && [ "$rc" -eq 1 ]; then
		ok "after the renewal: the renewed certificate staged for the same next key, no second re-key (acme-hook 75 again)"
	else
		not_ok "after the renewal: the certificate staged for the same next key" \
		    "status: $*; chain $(serial_of "$chain"), acme.sh's $S2; acme-hook $(cat "$b/hook.rc"), acme.sh $rc; $(tail -n 5 "$b/renew.log")"
	fi
fi

# ---- lego and dehydrated in charge: their renewal hooks run acme-hook -------
# Each issues for a P-256 key of its own (pebble validates anything) and
# runs daneroll acme-hook as examples/acme-clients.md shows: lego 4's
# --run-hook (LEGO_CERT_PATH, LEGO_CERT_KEY_PATH, LEGO_CERT_DOMAIN; no
# shell) and dehydrated's HOOK wrapper (deploy_cert DOMAIN KEY CERT
# FULLCHAIN CHAIN TS, and every other event, which acme-hook ignores). No
# host is named: daneroll finds it from what the client hands over. As
# above, the DNS side is a stub: acme-hook takes the key over, then its
# publish fails.
in_charge_conf() { # DIR: a daneroll state and configuration for HOST there
	mkdir -p "$1/live" "$1/state"
	(umask 077 && printf 'key "dr" { algorithm hmac-sha256; secret "%s"; };\n' \
	    "$(openssl rand -base64 32)" >"$1/tsig.key")
	printf '[global]\nstate_dir = %s/state\nresolver = 127.0.0.1#9\n\n[publisher dns]\ntype = rfc2136\ntsig_key_file = %s/tsig.key\n\n[host %s]\npublisher = dns\nalgorithms = ecdsa-p256\ncombined_file = %s/live/mx-%%a.pem\nreload = /bin/true\n' \
	    "$1" "$1" "$HOST" "$1" >"$1/daneroll.conf"
	chmod 600 "$1/daneroll.conf"
}
took_over() { # NAME DIR KEY LOG: daneroll's next key is KEY, one re-key event
	st=$("$DR" -c "$2/daneroll.conf" status --json "$HOST" 2>/dev/null |
	    json_keep status "$HOST" | python3 -c 'import json, sys
h = json.load(sys.stdin)["hosts"][0]
s = h["slots"][0]
print(s["next_spki"] or "-", s["current_spki"] or "-",
      sum("the ACME client re-keyed" in e["reason"] for e in h["events"]))')
	if [ -n "$3" ] && [ "$st" = "$3 - 1" ]; then
		ok "$1 in charge: its hook ran acme-hook, which found $HOST and took the client's key as the next key"
	else
		not_ok "$1 in charge: acme-hook took the client's key" \
		    "status: $st; the client's key ${3:-none}; $(tail -n 8 "$4")"
	fi
}
# CLIENT ARGS..., in the namespace, in an environment as bare as cron's.
bare() {
	nsx env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LEGO_CA_CERTIFICATES="$CA" \
	    ${ASAN_OPTIONS:+"ASAN_OPTIONS=$ASAN_OPTIONS"} \
	    ${UBSAN_OPTIONS:+"UBSAN_OPTIONS=$UBSAN_OPTIONS"} \
	    ${ASAN_SYMBOLIZER_PATH:+"ASAN_SYMBOLIZER_PATH=$ASAN_SYMBOLIZER_PATH"} "$@"
}
if [ ! -x "$DR" ]; then
	skip "lego and dehydrated in charge" "missing: $DR"
else
	c="$tmp/c-lego"
	in_charge_conf "$c"
	bare lego --accept-tos --email postmaster@example.org --server "$DIR_URL" \
	    --domains "$HOST" --key-type ec256 --http --http.webroot "$tmp/www" \
	    --path "$c/lego" run --run-hook "$DR -q -c $c/daneroll.conf acme-hook" \
	    >"$c/client.log" 2>&1
	took_over lego "$c" "$(spki_of_key "$c/lego/certificates/$HOST.key")" "$c/client.log"

	c="$tmp/c-dehydrated"
	in_charge_conf "$c"
	mkdir -p "$c/dehydrated"
	printf '#!/bin/sh\nexec %s -q -c %s acme-hook "$@"\n' "$DR" "$c/daneroll.conf" \
	    >"$c/dehydrated-hook"
	chmod 755 "$c/dehydrated-hook"
	printf 'CA="%s"\nCONTACT_EMAIL="postmaster@example.org"\nBASEDIR="%s/dehydrated"\nCHALLENGETYPE="http-01"\nWELLKNOWN="%s/www/.well-known/acme-challenge"\nCURL_OPTS="--cacert %s"\nKEY_ALGO=prime256v1\nHOOK="%s/dehydrated-hook"\n' \
	    "$DIR_URL" "$c" "$tmp" "$CA" "$c" >"$c/dehydrated/config"
	{ bare dehydrated --config "$c/dehydrated/config" --register --accept-terms &&
	  bare dehydrated --config "$c/dehydrated/config" -c -d "$HOST"; } >"$c/client.log" 2>&1
	took_over dehydrated "$c" "$(spki_of_key "$c/dehydrated/certs/$HOST/privkey.pem")" \
	    "$c/client.log"
fi

# ---- Postfix --------------------------------------------------------------
pf="$tmp/postfix"
mkdir -p "$pf" "$tmp/spool" "$tmp/data"
chown postfix "$tmp/data"
cp /etc/postfix/master.cf "$pf/master.cf" 2>/dev/null ||
    cp /usr/share/postfix/master.cf.dist "$pf/master.cf"
# examples/postfix-main.cf as shipped, its paths moved here, plus what a
# private instance needs.
sed "s|/etc/postfix/tls/mx1-|$tmp/tls/mx-|g" "$top/examples/postfix-main.cf" \
    >"$pf/main.cf"
cat >>"$pf/main.cf" <<EOF

# ---- the test instance --------------------------------------------------
compatibility_level = 3.6
queue_directory = $tmp/spool
data_directory = $tmp/data
myhostname = $HOST
mydestination =
inet_interfaces = $ADDR
inet_protocols = ipv4
maillog_file = $tmp/maillog
maillog_file_prefixes = /tmp
# one session per smtpd process: every connection reads the files anew
max_use = 1
EOF
postconf -c "$pf" -F '*/*/chroot = n' 2>>"$tmp/postfix.log"

ip netns exec "$NS" postfix -c "$pf" start-fg >"$tmp/postfix.log" 2>&1 &
postfix_pid=$!
if poll 20 test -s "$tmp/spool/pid/master.pid"; then
	master_pid=$(tr -d ' ' <"$tmp/spool/pid/master.pid")
	ok "Postfix master runs (pid $master_pid; private config directory, chroot = n)"
else
	not_ok "Postfix master runs" "$(tail -n 5 "$tmp/postfix.log")"
fi

# The RSA slot first: Postfix needs every file of smtpd_tls_chain_files.
if "$driver" deploy "$tmp/daneroll-lego.conf" "$HOST" rsa2048 \
    "$tmp/keys/rsa.key" "$tmp/keys/rsa.chain" >"$tmp/deploy-rsa.log" 2>&1
then
	ok "deploy of the RSA slot (mx-rsa2048.pem)"
else
	not_ok "deploy of the RSA slot" "$(cat "$tmp/deploy-rsa.log")"
fi

# The first ECDSA set: certbot's chain for its key.
if "$driver" deploy "$tmp/daneroll-certbot.conf" "$HOST" ecdsa-p256 \
    "$tmp/keys/certbot.key" "$tmp/keys/certbot.chain" >"$tmp/deploy0.log" 2>&1
then
	ok "first deploy: combined file, mode $(stat -c %a "$tmp/tls/mx-ecdsa-p256.pem"), postfix reload"
else
	not_ok "first deploy" "$(cat "$tmp/deploy0.log")"
fi
A=$(spki_of_key "$tmp/keys/certbot.key")
B=$(spki_of_key "$tmp/keys/lego.key")
C=$(spki_of_key "$tmp/keys/dehydrated.key")
R=$(spki_of_key "$tmp/keys/rsa.key")
expect_served "on the wire, ECDSA: certbot's key (set A)" "$A"
RSA_ONLY="-sigalgs rsa_pss_rsae_sha256:rsa_pkcs1_sha256"
# shellcheck disable=SC2086
expect_served "on the wire, RSA: the RSA key (second chain file)" "$R" $RSA_ONLY

# Deploy B: the served key changes, and the previous file is kept.
if "$driver" deploy "$tmp/daneroll-lego.conf" "$HOST" ecdsa-p256 \
    "$tmp/keys/lego.key" "$tmp/keys/lego.chain" >"$tmp/deploy1.log" 2>&1; then
	ok "deploy of lego's chain (set B) with postfix reload"
else
	not_ok "deploy of lego's chain (set B)" "$(cat "$tmp/deploy1.log")"
fi
expect_served "on the wire after deploy: set B" "$B"
if [ "$(spki_of_leaf "$tmp/tls/mx-ecdsa-p256.pem.prev")" = "$A" ]; then
	ok "set A kept as the previous set (.prev)"
else
	not_ok "set A kept as the previous set (.prev)"
fi

# Deploy C with a reload that fails: B must be served again.
touch "$tmp/reload-fail"
"$driver" deploy "$tmp/daneroll-dehydrated.conf" "$HOST" ecdsa-p256 \
    "$tmp/keys/dehydrated.key" "$tmp/keys/dehydrated.chain" \
    >"$tmp/deploy2.log" 2>&1
rc=$?
tempfail_says "$tmp/deploy2.log" 'previous set is restored and reloaded' \
    "failing reload: deploy fails (75), previous set restored and reloaded"
expect_served "on the wire after the failed reload: still set B" "$B"

# Rollback (as after a failed live check): A is served again.
if "$driver" rollback "$tmp/daneroll-lego.conf" "$HOST" ecdsa-p256 \
    >"$tmp/rollback.log" 2>&1; then
	ok "rollback restores the previous set and reloads"
else
	not_ok "rollback" "$(cat "$tmp/rollback.log")"
fi
expect_served "on the wire after rollback: set A again" "$A"

# And forward again, C this time, with a working reload.
"$driver" deploy "$tmp/daneroll-dehydrated.conf" "$HOST" ecdsa-p256 \
    "$tmp/keys/dehydrated.key" "$tmp/keys/dehydrated.chain" \
    >"$tmp/deploy3.log" 2>&1
expect_served "on the wire after deploying dehydrated's chain: set C" "$C"
if [ -n "$acmesh_case" ]; then
	"$driver" deploy "$tmp/daneroll-acme.sh.conf" "$HOST" ecdsa-p256 \
	    "$tmp/keys/acme.sh.key" "$tmp/keys/acme.sh.chain" \
	    >"$tmp/deploy4.log" 2>&1
	expect_served "on the wire after deploying acme.sh's chain: set D" \
	    "$(spki_of_key "$tmp/keys/acme.sh.key")"
fi
# shellcheck disable=SC2086
expect_served "on the wire, RSA: untouched by the ECDSA slot's changes" "$R" $RSA_ONLY

summary
