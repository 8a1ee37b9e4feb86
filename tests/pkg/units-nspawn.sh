#!/bin/bash
# The shipped systemd units under systemd itself (issue 16, item 2): a
# fresh Debian 12 booted with systemd-nspawn --boot, daneroll installed in
# it from this tree with `make install` (binary, hooks, the units of
# examples/systemd as installed, unchanged), driving certbot against the
# test world's pebble, BIND9, unbound and Postfix.
#
#   bash tests/pkg/units-nspawn.sh        as root, after make
#
# What it shows, with systemctl inside the container:
#   - daneroll.timer, daneroll@HOST.timer and daneroll-check.timer are
#     active, on their OnCalendar= with Persistent=yes;
#   - daneroll.service takes mx1.example under management, then after
#     `daneroll roll` daneroll@mx1.example.service carries a whole
#     rollover of its RSA and ECDSA keys:
#     certbot, run by the ACME hook inside the unit's sandbox with its
#     default directories (/etc/letsencrypt, /var/lib/letsencrypt,
#     /var/log/letsencrypt, the webroot /var/www/acme), gets both
#     certificates from pebble; they are deployed into Postfix and
#     verified live; every run leaves the unit inactive, Result=success;
#   - daneroll@mx2.example.service, whose TSIG key file is missing, exits
#     69 and leaves the unit failed;
#   - daneroll@mx.knot.example.service, whose zone's only server (Knot) is
#     stopped, meets a temporary failure and stays green (the same command
#     run by hand exits 75), until the failure has lasted longer than its
#     tempfail_limit (20 s here): then 69, failed;
#   - daneroll.service over every host, mx2 among them: 69, failed;
#   - daneroll-check.service reads the state and writes the Prometheus
#     textfile, with the runs' own metrics.
#
# The container shares the world's network namespace
# (--network-namespace-path), and sees the world's mx1 chain directory at
# /etc/postfix/tls, where the unit may write (ReadWritePaths=); the reload
# command leaves a file there, and this script reloads the world's
# Postfix when it appears (the container cannot signal it).
#
# This machine's own PID 1 need not be systemd: nspawn runs with
# --register=no --keep-unit (without them it wants the host's system bus:
# "Failed to open system bus: No such file or directory"), and boots on
# cgroups v1 with a name=systemd hierarchy. Commands go in with nsenter.
#
# The Debian 12 tree (debootstrap minbase, plus systemd, certbot and
# daneroll's libraries) is made once and kept in
# /var/tmp/daneroll-nspawn/bookworm-units.tar (from the fresh-machine
# cache /var/tmp/fresh-cache/bookworm.tar when there is one); it needs the
# network the first time. Not part of make check: it needs root,
# systemd-nspawn (apt-get install systemd-container), the world's servers
# (sh tests/deps.sh world) and about two minutes. KEEP=1 keeps the tree
# and the world's directory. Ends with "N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/testlib"

cache=/var/tmp/daneroll-nspawn
base=$cache/bookworm-units.tar
NS=drunits
W=/tmp/daneroll-units-world
machine=daneroll-units
pkgs="systemd systemd-sysv dbus ca-certificates certbot libssl3 libcurl4
libldns3 libjansson4 libsqlite3-0 libinih1"

if [ "$(id -u)" -ne 0 ]; then
	echo "units-nspawn: run as root (systemd-nspawn, ip netns)" >&2
	exit 77
fi
for c in systemd-nspawn nsenter ip; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "units-nspawn: $c not found (systemd-nspawn: apt-get install systemd-container)" >&2
		exit 77
	}
done
[ -x "$top/daneroll" ] || { echo "units-nspawn: build first: make" >&2; exit 77; }

# ---- the Debian 12 tree -----------------------------------------------------
if [ ! -f "$base" ]; then
	echo "# making $base (once)"
	mkdir -p "$cache"
	b=$(mktemp -d "$cache/base.XXXXXX")
	if [ -f /var/tmp/fresh-cache/bookworm.tar ]; then
		tar -C "$b" -xf /var/tmp/fresh-cache/bookworm.tar
	else
		mirror=$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
		debootstrap --variant=minbase bookworm "$b" "${mirror:-http://deb.debian.org/debian}" \
		    >"$cache/debootstrap.log" 2>&1 || { echo "debootstrap failed: $cache/debootstrap.log" >&2; exit 1; }
	fi
	cp /etc/resolv.conf "$b/etc/resolv.conf"
	mount -t proc proc "$b/proc"
	# shellcheck disable=SC2086
	chroot "$b" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
	    sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $(echo $pkgs) && apt-get clean" \
	    >"$cache/apt.log" 2>&1
	rc=$?
	umount "$b/proc"
	if [ $rc -ne 0 ]; then
		echo "apt-get in the tree failed: $cache/apt.log" >&2
		rm -rf --one-file-system "$b"
		exit 1
	fi
	tar -C "$b" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf --one-file-system "$b"
fi

# ---- the world ----------------------------------------------------------------
run_dir=$(mktemp -d /var/tmp/daneroll-units.XXXXXX)
root=$run_dir/root
npid='' leader='' watcher=''
cleanup() {
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null
	if [ -n "$leader" ] && kill -0 "$leader" 2>/dev/null; then
		in_ct systemctl poweroff >/dev/null 2>&1
		for _ in $(seq 1 30); do kill -0 "$npid" 2>/dev/null || break; sleep 0.5; done
	fi
	[ -n "$npid" ] && kill "$npid" 2>/dev/null
	bash "$top/tests/world/down.sh" --dir "$W" --ns "$NS" >/dev/null 2>&1
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept: $run_dir and $W"
	else rm -rf --one-file-system "$run_dir"; fi
}
trap cleanup EXIT

echo "# the world: BIND9, unbound, pebble, Postfix in namespace $NS"
if ! bash "$top/tests/world/up.sh" --dir "$W" --ns "$NS" >"$run_dir/world.log" 2>&1; then
	not_ok "the test world comes up" "$(tail -n 20 "$run_dir/world.log")"
	summary; exit 1
fi
# shellcheck source=/dev/null
. "$W/env"
# Host names as daneroll's configuration and the units name them.
MX1=${MX1_NAME%.} MX2=${MX2_NAME%.} KNOT=${MX1_KNOT_NAME%.}

# ---- daneroll in the tree -------------------------------------------------------
mkdir -p "$root"
tar -C "$root" -xf "$base"
make -C "$top" -s install DESTDIR="$root" PREFIX=/usr/local >"$run_dir/install.log" 2>&1 ||
	{ not_ok "make install DESTDIR=" "$(tail -n 20 "$run_dir/install.log")"; summary; exit 1; }
install -m 0600 "$TSIG_KEY_FILE" "$root/etc/daneroll/tsig.key"
install -m 0644 "$PEBBLE_TLS_CA_FILE" "$root/etc/daneroll/pebble-ca.pem"
install -d -m 0755 "$root/var/www/acme" "$root/var/lib/prometheus/node-exporter"
# certbot with its default directories, as hooks/acme/certbot has them;
# only the server is the world's.
cat >"$root/etc/daneroll/certbot.conf" <<CONF
CERTBOT_SERVER=$PEBBLE_DIRECTORY_URL
CERTBOT_EMAIL=postmaster@example
CERTBOT_CA_BUNDLE=/etc/daneroll/pebble-ca.pem
CONF
chmod 0600 "$root/etc/daneroll/certbot.conf"
cat >"$root/etc/daneroll/daneroll.conf" <<CONF
# The world's TTLs are 5 s.
[global]
resolver = $RESOLVER_V4
ttl = 5
margin = 2s
retry_min = 5s
retry_max = 30s
lock_timeout = 30s

[publisher bind]
type = rfc2136
server = $NS1_V4
zone = example
tsig_key_file = /etc/daneroll/tsig.key

# A key file that is not there: a failure that needs the operator (69).
[publisher nokey]
type = rfc2136
server = $NS1_V4
zone = example
tsig_key_file = /etc/daneroll/missing.key

# Knot, knot.example's only server, is stopped below: first contact
# cannot learn what the name serves, a temporary failure (75).
[publisher knot]
type = rfc2136
server = $KNOT_V4
zone = knot.example
tsig_key_file = /etc/daneroll/tsig.key

[host $MX1]
algorithms = rsa2048 ecdsa-p256
combined_file = /etc/postfix/tls/%a.pem
publisher = bind
acme_hook = /usr/local/libexec/daneroll/acme/certbot /etc/daneroll/certbot.conf
reload = /usr/bin/touch /etc/postfix/tls/reload-requested
CONF
chmod 0600 "$root/etc/daneroll/daneroll.conf"
# Added once mx1 has rolled over: two hosts that fail.
cat >"$run_dir/failing-hosts.conf" <<CONF

# mx2's Postfix chain, adopted; publishing needs the missing key.
[host $MX2]
algorithms = rsa2048
combined_file = /etc/postfix/mx2/%a.pem
publisher = nokey
acme_hook = /bin/false
reload = /bin/true

[host $KNOT]
algorithms = ecdsa-p256
combined_file = /etc/postfix/tls/knot-%a.pem
publisher = knot
acme_hook = /bin/false
reload = /bin/true
tempfail_limit = 20s
CONF

# The reload the container asks for, done outside it.
( while :; do
	if [ -e "$W/mx1/reload-requested" ]; then
		rm -f "$W/mx1/reload-requested"
		# shellcheck disable=SC2086 # an argument vector
		$MX1_RELOAD_CMD >/dev/null 2>&1
	fi
	sleep 0.2
done ) &
watcher=$!

# ---- boot -----------------------------------------------------------------------
echo "# booting Debian 12 with systemd-nspawn --boot"
systemd-nspawn --quiet --boot --register=no --keep-unit -D "$root" \
	--machine="$machine" --network-namespace-path="/run/netns/$NS" \
	--bind="$W/mx1:/etc/postfix/tls" --bind-ro="$W/mx2:/etc/postfix/mx2" </dev/null >"$run_dir/console.log" 2>&1 &
npid=$!
in_ct() {
	nsenter --target "$leader" --all --root --wd -- /usr/bin/env -i \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    LANG=C.UTF-8 "$@"
}
# The container's PID 1: nspawn's child once it runs systemd (before,
# the child is nspawn's own, still in this machine's namespaces).
for _ in $(seq 1 120); do
	leader=$(ps --ppid "$npid" -o pid=,comm= 2>/dev/null | awk '$2 == "systemd" { print $1; exit }')
	[ -n "$leader" ] && break
	kill -0 "$npid" 2>/dev/null || break
	sleep 0.5
done
# Its bus comes up a moment later.
state=
for _ in $(seq 1 180); do
	[ -n "$leader" ] || break
	state=$(timeout 90 nsenter --target "$leader" --all --root --wd \
	    /usr/bin/systemctl is-system-running --wait 2>&1)
	case $state in *"Failed to connect to bus"*) sleep 0.5 ;; *) break ;; esac
done
case $state in
running|degraded) ok "systemd boots as PID 1 of the container ($state)" ;;
*)	not_ok "systemd boots as PID 1 of the container" "state: ${state:-none}
$(tail -n 20 "$run_dir/console.log")"
	summary; exit 1 ;;
esac
[ "$state" = degraded ] && in_ct systemctl --failed --no-pager --plain | sed 's/^/# failed at boot: /'

# prop UNIT PROPERTY: one property's value.
prop() { in_ct systemctl show -P "$2" "$1"; }
# unit_ran NAME UNIT WANT: the last start of UNIT left it inactive with
# Result=success (WANT "success"), or failed with Result=exit-code and the
# exit status WANT. systemd 252 keeps no exit status of a run it counts as
# a success (ExecMainStatus reads 0 after an exit 75 that
# SuccessExitStatus= allows): a success shows as its Result alone.
unit_ran() {
	res=$(prop "$2" Result) act=$(prop "$2" ActiveState) st=$(prop "$2" ExecMainStatus)
	if [ "$3" = success ] && [ "$res" = success ] && [ "$act" = inactive ]; then
		ok "$1: inactive, Result=success"
	elif [ "$3" != success ] && [ "$res" = exit-code ] && [ "$act" = failed ] && [ "$st" = "$3" ]; then
		ok "$1: exit $st, failed, Result=exit-code"
	else
		not_ok "$1: $([ "$3" = success ] && echo "inactive, Result=success" || echo "exit $3, failed")" \
		    "got exit $st, $act, Result=$res
$(in_ct journalctl -u "$2" --no-pager -n 15 -o cat)"
	fi
}
# start UNIT: systemctl start, noting when (systemd forgets the
# InvocationID of a oneshot run that succeeded, as it forgets its status).
start() {
	started=$(date +%s)
	in_ct systemctl start "$1"
}
# journal UNIT: what it logged since the last start().
journal() {
	in_ct journalctl --no-pager -o cat -u "$1" --since "@$started"
}
# journal_has UNIT TEXT: it logged TEXT since the last start() (journald
# may take a moment to store what came through syslog).
journal_has() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		journal "$1" | grep -qF -- "$2" && return 0
		sleep 0.5
	done
	return 1
}

# ---- the timers -------------------------------------------------------------------
in_ct systemctl enable --now daneroll.timer daneroll-check.timer \
	"daneroll@$MX1.timer" >"$run_dir/enable.log" 2>&1 ||
	not_ok "systemctl enable --now the timers" "$(cat "$run_dir/enable.log")"
for tm in daneroll.timer daneroll-check.timer "daneroll@$MX1.timer"; do
	act=$(prop "$tm" ActiveState) pers=$(prop "$tm" Persistent)
	cal=$(prop "$tm" TimersCalendar) next=$(prop "$tm" NextElapseUSecRealtime)
	if [ "$act" = active ] && [ "$pers" = yes ] && echo "$cal" | grep -q 'OnCalendar=' &&
	    [ -n "$next" ]; then
		ok "$tm: active, Persistent=yes, $(echo "$cal" | sed 's/.*OnCalendar=\([^;]*\);.*/OnCalendar=\1/'), next $next"
	else
		not_ok "$tm: active, Persistent=yes, OnCalendar=" "ActiveState=$act Persistent=$pers TimersCalendar=$cal Next=$next"
	fi
done
# From here the services are started by hand: stop the timers, so that
# none starts a run in between.
in_ct systemctl stop daneroll.timer daneroll-check.timer "daneroll@$MX1.timer"
in_ct systemd-analyze security --no-pager daneroll.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for \(.*\)/# systemd-analyze security (online, in the container): \1/p'

# ---- daneroll.service, then daneroll@mx1.example.service: a rollover -------------
# Every host of the configuration: mx1 alone for now.
in_ct systemctl start daneroll.service
unit_ran "daneroll.service, first run (mx1 taken under management)" daneroll.service success
dr() { in_ct /usr/local/sbin/daneroll "$@"; }
slots() { # "STATE/ACTION ... | CURRENT_SPKI ..." of mx1's slots
	dr status --json "$MX1" 2>/dev/null | json_keep status "$MX1" |
	    python3 -c '
import json, sys
h = json.load(sys.stdin)["hosts"][0]
print(" ".join(s["state"] + "/" + s["next_action"] for s in h["slots"]),
      "|", " ".join(s.get("current_spki") or "-" for s in h["slots"]))'
}
st=$(slots)
cur_before=${st#*| }
dr roll "$MX1" >/dev/null
u="daneroll@$MX1.service"
fail_runs=0 runs=0
for _ in $(seq 1 40); do
	in_ct systemctl start "$u"
	runs=$((runs + 1))
	[ "$(prop "$u" Result)" = success ] || fail_runs=$((fail_runs + 1))
	st=$(slots)
	case $st in
	"standby/none standby/none | "*) [ "${st#*| }" != "$cur_before" ] && break ;;
	esac
	sleep 2
done
if [ "${st#*| }" != "$cur_before" ] && [ "${st%% |*}" = "standby/none standby/none" ]; then
	ok "$u: the rollover of both keys completes ($runs runs)"
else
	not_ok "$u: the rollover of both keys completes" "status: $st
$(in_ct journalctl -u "$u" --no-pager -n 30 -o cat)"
fi
[ "$fail_runs" -eq 0 ] && ok "$u: every run left the unit green ($runs)" ||
	not_ok "$u: every run left the unit green" "$fail_runs of $runs runs failed"
unit_ran "$u, last run" "$u" success
# certbot ran inside the sandbox, with its own directories.
if in_ct test -d /etc/letsencrypt/accounts && in_ct test -s /var/log/letsencrypt/letsencrypt.log &&
    in_ct test -d /var/lib/letsencrypt; then
	ok "certbot wrote /etc/letsencrypt, /var/lib/letsencrypt and /var/log/letsencrypt under ProtectSystem=strict"
else
	not_ok "certbot wrote its directories under the unit" "$(in_ct ls -la /etc/letsencrypt /var/lib/letsencrypt /var/log/letsencrypt 2>&1)"
fi
if in_ct journalctl --no-pager -o cat -u "$u" -u daneroll.service | grep -q "Read-only file system"; then
	not_ok "no 'Read-only file system' in the units' journal" "$(in_ct journalctl --no-pager -o cat -u "$u" | grep 'Read-only' | head -n 5)"
else ok "no 'Read-only file system' in the units' journal"; fi
# The network child (docs/security.md) started and confined itself under
# the units' own seccomp filter. systemd-nspawn 252 refuses Landlock to
# everything in its containers (EPERM, whatever the unit says), so a
# missing Landlock is reported here, not failed.
jn=$(in_ct journalctl --no-pager -o cat -u "$u" -u daneroll.service | grep "network child")
if printf '%s\n' "$jn" | grep -q "cannot enter\|exited\|could not start\|malformed"; then
	not_ok "the network child started and confined itself under the units" "$(printf '%s\n' "$jn" | head -n 5)"
else ok "the network child started and confined itself under the units"; fi
printf '%s\n' "$jn" | grep -q "no Landlock" &&
	echo "# $(printf '%s\n' "$jn" | grep -m1 'no Landlock') (nspawn's own filter)"
pebble_int=$(openssl x509 -in "$PEBBLE_INTERMEDIATE_FILE" -noout -subject 2>/dev/null | sed 's/^subject=//')
for a in rsa2048 ecdsa-p256; do
	iss=$(openssl x509 -in "$W/mx1/$a.pem" -noout -issuer 2>/dev/null)
	if [ -n "$pebble_int" ] && [ "$iss" = "issuer=$pebble_int" ]; then
		ok "$a: Postfix serves a certificate from pebble ($iss)"
	else not_ok "$a: Postfix serves a certificate from pebble" "issuer: $iss; pebble's: $pebble_int"; fi
done

# ---- failures: one that needs the operator, one that time may fix ---------------------
cat "$run_dir/failing-hosts.conf" >>"$root/etc/daneroll/daneroll.conf"
start "daneroll@$MX2.service"
unit_ran "daneroll@$MX2.service, TSIG key file missing" "daneroll@$MX2.service" 69
journal_has "daneroll@$MX2.service" "/etc/daneroll/missing.key" &&
	ok "daneroll@$MX2.service: the journal names the missing key file" ||
	not_ok "daneroll@$MX2.service: the journal names the missing key file" \
	    "$(in_ct journalctl -u "daneroll@$MX2.service" --no-pager -n 15 -o cat)"

in_ct systemctl is-failed --quiet "daneroll@$MX2.service" &&
	ok "systemctl is-failed daneroll@$MX2.service" ||
	not_ok "systemctl is-failed daneroll@$MX2.service"

u="daneroll@$KNOT.service"
kill "$PID_KNOT" 2>/dev/null
t0=$(date +%s)
start "$u"
unit_ran "$u, Knot stopped, within tempfail_limit" "$u" success
if journal_has "$u" "failed 1 time"; then
	ok "$u: that run met a temporary failure ($(journal "$u" | grep -m 1 'failed 1 time'))"
else not_ok "$u: that run met a temporary failure" "$(journal "$u")"; fi
# What the unit's command exits with now, run by hand: 75, which the
# unit counts as success.
dr run "$KNOT" >/dev/null 2>&1; rc=$?
[ $rc -eq 75 ] && ok "daneroll run $KNOT by hand, within tempfail_limit: exit 75" ||
	not_ok "daneroll run $KNOT by hand, within tempfail_limit: exit 75" "exit $rc"
sleep $((21 - ($(date +%s) - t0)))
start "$u"
unit_ran "$u, still failing after tempfail_limit (20 s)" "$u" 69
journal_has "$u" "longer than tempfail_limit" &&
	ok "$u: the journal says the failure outlasted tempfail_limit" ||
	not_ok "$u: the journal says the failure outlasted tempfail_limit" "$(journal "$u")"

# Every host: mx2 needs the operator, so the all-hosts unit fails too.
in_ct systemctl start daneroll.service
unit_ran "daneroll.service over every host (mx2 among them)" daneroll.service 69

# ---- daneroll-check.service ------------------------------------------------------------
in_ct systemctl start daneroll-check.service
st=$(prop daneroll-check.service ExecMainStatus) res=$(prop daneroll-check.service Result)
prom=$root/var/lib/prometheus/node-exporter/daneroll.prom
if [ "$res" = success ] && [ -s "$prom" ]; then
	ok "daneroll-check.service: exit $st (Nagios), Result=success, textfile written"
else
	not_ok "daneroll-check.service writes the textfile" "exit $st, Result=$res
$(in_ct journalctl -u daneroll-check.service --no-pager -n 20 -o cat)"
fi
if in_ct journalctl -u daneroll-check.service --no-pager -o cat | grep -q "cannot read the daneroll state"; then
	not_ok "daneroll-check.service reads the state" "$(in_ct journalctl -u daneroll-check.service --no-pager -o cat | grep 'daneroll state' | head -n 3)"
else ok "daneroll-check.service reads the state"; fi
for m in "daneroll_endpoint_dane_ok{host=\"$MX1\"" \
    "daneroll_slot_state{host=\"$MX1\",alg=\"rsa2048\",state=\"standby\"} 1" \
    "daneroll_slot_last_success_timestamp_seconds{host=\"$MX1\",alg=\"ecdsa-p256\"}" \
    "daneroll_last_run_timestamp_seconds{host=\"$MX2\"}" \
    "daneroll_slot_failures{host=\"$MX2\",alg=\"rsa2048\"}"; do
	grep -qF "$m" "$prom" 2>/dev/null && ok "textfile: $m" || not_ok "textfile: $m" "$(head -c 2000 "$prom" 2>/dev/null)"
done
if grep -q "^daneroll_slot_last_success_timestamp_seconds{host=\"$MX2\"" "$prom" 2>/dev/null; then
	not_ok "textfile: no last success for $MX2"
else ok "textfile: no last success for $MX2"; fi
summary
