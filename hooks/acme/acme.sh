#!/bin/sh
# daneroll ACME hook for acme.sh: "acme.sh --signcsr --csr" for the CSR of
# daneroll's pre-published key, so acme.sh never makes a key of its own.
# Tested with acme.sh 3.1.1 (Debian 13's package) against pebble.
#
#   acme_hook = /usr/local/libexec/daneroll/acme/acme.sh [SETTINGS_FILE]
#
# daneroll runs this without a shell, with PATH, LANG and:
#   DANEROLL_CSR    the CSR (PEM)          DANEROLL_HOST   the MX name
#   DANEROLL_CHAIN  where to leave the chain, leaf first
#   DANEROLL_NAMES  the names to cover      DANEROLL_ALG    rsa2048|ecdsa-p256
#
# acme.sh registers the account in ACMESH_HOME on first use and keeps it
# there; by default under daneroll's state directory, which the shipped
# systemd units may write (Debian's acme.sh package makes no /etc/acme.sh,
# and the units' read-only /etc would forbid making it). Each run uses a fresh --cert-home, so an older certificate can
# never be handed back, and acme.sh's own renewals (acme.sh --cron) never
# see these certificates. acme.sh retries a directory URL it cannot reach
# for about 100 seconds before it gives up: keep hook_timeout above two
# minutes (the default, 5 minutes, is).
#
# Settings: edit them here, or give a file that sets them (sourced by sh:
# root-owned, not writable by others). ACMESH_AUTH and ACMESH_EXTRA are
# split on blanks.
ACMESH=/usr/bin/acme.sh				# the upstream installer's: /root/.acme.sh/acme.sh
ACMESH_HOME=/var/lib/daneroll/acme.sh		# --home and --config-home: the account
ACMESH_SERVER=letsencrypt			# a name acme.sh knows, or a directory URL
ACMESH_EMAIL=					# account contact (--accountemail)
ACMESH_AUTH="-w /var/www/acme"			# or "--standalone" (needs socat), "--dns dns_nsupdate"
ACMESH_EXTRA=""					# more acme.sh options
ACMESH_CA_BUNDLE=				# CA file for a private ACME server (--ca-bundle)
#
# Exit status: 0 issued; 75 acme.sh failed; 78 bad settings; 127 acme.sh
# missing. daneroll retries every failure with back-off; it reads 126 and
# 127 as needing the operator (its run exits 69), anything else as temporary
# (its run exits 75). Every setting, with a staging example: examples/acme-
# clients.md in daneroll's source.
set -u
# shellcheck source=/dev/null # the settings file, an absolute path
if [ $# -ge 1 ]; then . "$1" || exit 78; fi
: "${DANEROLL_CSR:?not run by daneroll}" "${DANEROLL_CHAIN:?}"
command -v "$ACMESH" >/dev/null 2>&1 || { echo "acme.sh: $ACMESH not found" >&2; exit 127; }
# acme.sh refuses --signcsr without a way to answer the challenge.
[ -n "$ACMESH_AUTH" ] || { echo "acme.sh: ACMESH_AUTH is empty" >&2; exit 78; }
# acme.sh writes into --config-home before it creates it; the account key
# lives there.
(umask 077 && mkdir -p "$ACMESH_HOME") || exit 78
export HOME="$ACMESH_HOME"
opts=""
[ -n "$ACMESH_EMAIL" ] && opts="--accountemail $ACMESH_EMAIL"
[ -n "$ACMESH_CA_BUNDLE" ] && opts="$opts --ca-bundle $ACMESH_CA_BUNDLE"

tmp=$(mktemp -d) || exit 75
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086 # word splitting of the settings is intended
"$ACMESH" --signcsr --csr "$DANEROLL_CSR" --server "$ACMESH_SERVER" \
    --home "$ACMESH_HOME" --config-home "$ACMESH_HOME" \
    --cert-home "$tmp/certs" --fullchain-file "$tmp/fullchain.pem" \
    --force $opts $ACMESH_AUTH $ACMESH_EXTRA || exit 75
[ -s "$tmp/fullchain.pem" ] || { echo "acme.sh: no full chain written" >&2; exit 75; }
mv "$tmp/fullchain.pem" "$DANEROLL_CHAIN" || exit 75
