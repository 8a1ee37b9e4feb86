#!/bin/bash
# End to end: post-hook intake from certbot. certbot keeps its own lineage
# for mx1.example (pebble, in the namespace world) and hands each renewed
# certificate to the real daneroll binary through
#   --deploy-hook "daneroll -c CONF acme-hook"
# daneroll manages mx1 (RSA + ECDSA, combined files in Postfix).
#
# certbot makes a FRESH key at each issuance (its default; ECDSA P-256
# here). daneroll must hold such a certificate: publish the key's record
# and deploy only once every authoritative address has served it for
# longer than the TTL, in a later `run --wait`. The live SPKI (openssl
# s_client) must change only after that. Two rounds: the first issuance
# (certbot certonly) and `certbot renew --force-renewal`. The prober
# handshakes with every address and algorithm once a second throughout.
[ -z "${BASH_VERSION:-}" ] && exec bash "$0" "$@"
set -u
# shellcheck source=tests/integration/e2elib
. "$(dirname "$0")/e2elib"
e2e_start intake "end-to-end intake from certbot" certbot pebble
{
	e2e_global
	e2e_mx1 mx1.example bind
} >"$D/daneroll.conf"
chmod 600 "$D/daneroll.conf"
owner=_25._tcp.mx1.example
servers="$NS1_V4 $NS1_V6 $NS2_V4 $NS2_V6"
CB=$D/certbot
hook="$DR_BIN -c $D/daneroll.conf acme-hook"
# certbot, in the namespace, against pebble, with its own directories.
certbot_ns() {
	in_ns env REQUESTS_CA_BUNDLE="$PEBBLE_TLS_CA_FILE" certbot "$@" \
		--non-interactive --server "$PEBBLE_DIRECTORY_URL" \
		--config-dir "$CB/config" --work-dir "$CB/work" --logs-dir "$CB/logs"
}

e2e_prober mx1.example:"$MX1_V4":rsa2048 mx1.example:"$MX1_V4":ecdsa-p256 \
	mx1.example:"$MX1_V6":rsa2048 mx1.example:"$MX1_V6":ecdsa-p256
sleep 2
check "config check" dr config check
if DR_TIMEOUT=150 dr_ts run --wait >/dev/null; then ok "taken under management (run --wait exit 0)"; else not_ok "taken under management (exit $?)" "$(tail -n 15 "$LOGDIR/daneroll.log")"; fi

# round NAME CERTBOT-ARGS...: certbot issues a certificate for a fresh key
# and its deploy hook hands it to daneroll; daneroll holds it until the
# key's record has aged; a later run --wait deploys it.
round() {
	local what=$1 live_before key spki out served live n
	shift
	live_before=$(live_spki "$MX1_V4" mx1.example ecdsa-p256)
	watch_start "$LOGDIR/watch.$what.hook" "$owner" "$MX1_V4" mx1.example ecdsa-p256 $servers
	if certbot_ns "$@" >"$LOGDIR/certbot.$what.out" 2>&1; then
		ok "$what: certbot succeeds"
	else
		not_ok "$what: certbot succeeds" "$(tail -n 15 "$LOGDIR/certbot.$what.out")"
	fi
	# certbot's key: a fresh one, 0600, the one daneroll was handed.
	key=$(readlink -f "$CB/config/live/mx1.example/privkey.pem")
	[ "$(stat -c %a "$key")" = 600 ] && ok "$what: certbot's key file is 0600 ($(basename "$key"))" ||
		not_ok "$what: certbot's key file is 0600" "$(stat -c %a "$key")"
	spki=$(spki_of "$CB/config/live/mx1.example/cert.pem")
	[ "$spki" != "$live_before" ] && ok "$what: certbot made a fresh key" || not_ok "$what: certbot made a fresh key"
	grep -q "Running deploy-hook command: $DR_BIN" "$CB/logs/letsencrypt.log" &&
		! grep -qi "reported error code\|hook.*exit status" "$CB/logs/letsencrypt.log" "$LOGDIR/certbot.$what.out" &&
		ok "$what: certbot ran the deploy hook; daneroll acme-hook exited 0" ||
		not_ok "$what: certbot ran the deploy hook; acme-hook exited 0" "$(grep -i hook "$CB/logs/letsencrypt.log" | tail -n 5)"
	out=$(cat "$LOGDIR/certbot.$what.out"; grep -A30 "Running deploy-hook command" "$CB/logs/letsencrypt.log")
	echo "$out" | grep -q "held until the record has been served everywhere" &&
		ok "$what: daneroll took the new key and held its certificate" ||
		not_ok "$what: daneroll took the new key and held its certificate" "$out"
	# Right after the hook: still the old key live, the new key's record on its way.
	[ "$(live_spki "$MX1_V4" mx1.example ecdsa-p256)" = "$live_before" ] &&
		ok "$what: the live key unchanged after the hook" || not_ok "$what: the live key unchanged after the hook"
	dr status --json mx1.example 2>/dev/null | json_keep status mx1.example >"$LOGDIR/status.$what.json"
	# Held: the client's key is next, the old one current; the slot is
	# still proving propagation (publishing) or holding (deploying).
	jq -e '.hosts[0].slots[] | select(.algorithm == "ecdsa-p256") | .next_spki == "'"$spki"'" and
		.current_spki == "'"$live_before"'" and (.state == "publishing" or .state == "deploying")' \
		"$LOGDIR/status.$what.json" >/dev/null &&
		ok "$what: status --json: the client's key is next, the old one current (held; $(jq -r '.hosts[0].slots[] | select(.algorithm == "ecdsa-p256") | .state' "$LOGDIR/status.$what.json"))" ||
		not_ok "$what: status --json: the client's key is next, held" "$(jq -c '.hosts[0].slots' "$LOGDIR/status.$what.json")"
	# The watcher now looks for the new key's record.
	watch_stop
	watch_start "$LOGDIR/watch.$what" "$owner" "$MX1_V4" mx1.example ecdsa-p256 $servers
	if DR_TIMEOUT=150 dr_ts run --wait >/dev/null; then ok "$what: a later run --wait completes"; else not_ok "$what: a later run --wait completes (exit $?)" "$(tail -n 15 "$LOGDIR/daneroll.log")"; fi
	sleep 1
	watch_stop
	[ "$(live_spki "$MX1_V4" mx1.example ecdsa-p256)" = "$spki" ] && [ "$(live_spki "$MX1_V6" mx1.example ecdsa-p256)" = "$spki" ] &&
		ok "$what: certbot's key is live on both addresses" || not_ok "$what: certbot's key is live on both addresses"
	served=$(first_served "$spki" "$LOGDIR/watch.$what.hook" "$LOGDIR/watch.$what")
	live=$(first_live "$LOGDIR/watch.$what" "$spki")
	if [ -n "$served" ] && [ -n "$live" ] && ts_aged "$live" "$served" 5; then
		ok "$what: the new key went live $(ts_sub "$live" "$served") s after its record was served everywhere (TTL 5 s)"
	else
		not_ok "$what: the new key went live only after its record aged" "served=$served live=$live"
	fi
	# The old live key never changed before that: every sample before
	# $live showed the old key (or nothing, on a failed sample).
	n=$(cat "$LOGDIR/watch.$what.hook/live" "$LOGDIR/watch.$what/live" |
		awk -v t="$live" -v o="spki=$live_before" '$1 < t && $2 != o && $2 != "spki=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" { n++ } END { print n + 0 }')
	[ "$n" -eq 0 ] && ok "$what: no other key live in between" || not_ok "$what: no other key live in between ($n samples)"
	dr status --json mx1.example 2>/dev/null | json_keep status mx1.example >"$LOGDIR/status.$what.json"
	jq -e '[.hosts[0].slots[] | .state == "standby" and .alert == "ok"] | all' "$LOGDIR/status.$what.json" >/dev/null &&
		ok "$what: both slots standby, no alert" || not_ok "$what: both slots standby, no alert" "$(jq -c '.hosts[0].slots' "$LOGDIR/status.$what.json")"
	tlsa_at "$NS2_V6" "$owner" | grep -q "^3 1 1 $live_before\$" &&
		not_ok "$what: the replaced key's record retired" || ok "$what: the replaced key's record retired"
}

round first certonly --agree-tos --register-unsafely-without-email \
	--webroot --webroot-path "$D/www" -d mx1.example \
	--key-type ecdsa --elliptic-curve secp256r1 --deploy-hook "$hook"
# --no-random-sleep-on-renew: certbot renew sleeps up to 8 minutes when
# not run from a terminal.
round renewal renew --force-renewal --no-random-sleep-on-renew

e2e_prober_stop
summary
