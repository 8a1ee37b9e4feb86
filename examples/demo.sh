#!/bin/sh
# make demo: daneroll meets an MX host that already serves a certificate.
#
# Today this shows the core engine on a local host: it validates the
# configuration, plans, adopts the deployed key, pre-generates the next key,
# and shows the TLSA RRset it will publish. It stops where the real DNS
# publisher is needed: the full live rollover in a network-namespace world
# (BIND9, unbound, pebble, Postfix) arrives with the end-to-end issue.
set -eu
bin=$(pwd)/daneroll
t=$(mktemp -d /tmp/daneroll-demo.XXXXXX)
trap 'rm -rf "$t"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p "$t/live"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$t/k.pem" -out "$t/c.pem" -subj /CN=mx1.example.org \
	-addext subjectAltName=DNS:mx1.example.org -days 90 2>/dev/null
cat "$t/k.pem" "$t/c.pem" > "$t/live/mx1-ecdsa-p256.pem"
chmod 600 "$t/live/mx1-ecdsa-p256.pem"
rm -f "$t/k.pem"
: > "$t/tsig.key"
chmod 600 "$t/tsig.key"
cat > "$t/daneroll.conf" <<CONF
[global]
state_dir = $t/state
ttl = 3600
# The demo asks no DNS server outside this machine.
resolver = 127.0.0.1#9

[publisher bind]
type = rfc2136
tsig_key_file = $t/tsig.key

[host mx1.example.org]
algorithms = ecdsa-p256
combined_file = $t/live/mx1-%a.pem
publisher = bind
acme_hook = /usr/libexec/daneroll/acme/certbot
reload = /usr/sbin/postfix reload
CONF

step "daneroll config check"
"$bin" -c "$t/daneroll.conf" config check
step "daneroll plan   (the dry run: what will happen, and when)"
"$bin" -c "$t/daneroll.conf" plan
step "daneroll run"
"$bin" -c "$t/daneroll.conf" run || echo "(exit $?: stopped safe, as the message says)"
step "daneroll status"
"$bin" -c "$t/daneroll.conf" status
step "daneroll records mx1.example.org"
"$bin" -c "$t/daneroll.conf" records mx1.example.org
printf '\nThe full live rollover demo (real DNS, ACME and Postfix in a network\nnamespace) arrives with the end-to-end issue.\n'
