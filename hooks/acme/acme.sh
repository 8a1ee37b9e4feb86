#!/bin/sh
# daneroll ACME hook for acme.sh: "acme.sh --signcsr --csr" for the CSR of
# daneroll's pre-published key, so acme.sh never makes a key of its own.
#
# UNTESTED: acme.sh is not packaged in Debian 12, where daneroll's tests
# run; this follows acme.sh's documentation (--signcsr takes the same
# options as --issue) and has not been run against a real ACME server.
#
#   acme_hook = /usr/local/libexec/daneroll/acme/acme.sh [SETTINGS_FILE]
#
# daneroll runs this without a shell, with PATH, LANG and:
#   DANEROLL_CSR    the CSR (PEM)          DANEROLL_HOST   the MX name
#   DANEROLL_CHAIN  where to leave the chain, leaf first
#   DANEROLL_NAMES  the names to cover      DANEROLL_ALG    rsa2048|ecdsa-p256
#
# Each run uses a fresh --cert-home, so an older certificate can never be
# handed back; the account stays in ACMESH_HOME.
#
# Settings: edit them here, or give a file that sets them (sourced by sh:
# root-owned, not writable by others). ACMESH_AUTH and ACMESH_EXTRA are
# split on blanks.
ACMESH=/root/.acme.sh/acme.sh
ACMESH_HOME=/etc/acme.sh			# --home and --config-home
ACMESH_SERVER=letsencrypt			# a name acme.sh knows, or a URL
ACMESH_EMAIL=					# account contact (--accountemail)
ACMESH_AUTH="-w /var/www/acme"			# or "--standalone", "--dns dns_nsupdate"
ACMESH_EXTRA=""					# more acme.sh options
ACMESH_CA_BUNDLE=				# CA file for a private ACME server
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
[ -x "$ACMESH" ] || { echo "acme.sh: $ACMESH not found" >&2; exit 127; }
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
if [ ! -s "$tmp/fullchain.pem" ]; then
	# Where acme.sh keeps it when it did not install a copy.
	f=$(find "$tmp/certs" -name fullchain.cer 2>/dev/null | head -n 1)
	[ -n "$f" ] && cp "$f" "$tmp/fullchain.pem"
fi
[ -s "$tmp/fullchain.pem" ] || { echo "acme.sh: no full chain written" >&2; exit 75; }
mv "$tmp/fullchain.pem" "$DANEROLL_CHAIN" || exit 75
