# shellcheck shell=bash
# Common settings and helpers of the daneroll test world.
# Sourced by up.sh, down.sh, secondary.sh and postfix.sh; not run by itself.
#
# Everything the world makes lives under $WORLD_DIR and inside the network
# namespace $WORLD_NS. Both can be overridden from the environment.

WORLD_NS=${WORLD_NS:-drworld}
WORLD_DIR=${WORLD_DIR:-/tmp/daneroll-world}
# Marker file: down.sh deletes $WORLD_DIR only when it holds this file, so a
# mistyped WORLD_DIR can never make it remove somebody else's directory.
WORLD_MARK=.daneroll-world

# ---------------------------------------------------------------- addresses
# All of them live on the namespace's lo (192.0.2.0/24 = TEST-NET-1 and
# 2001:db8::/32 = documentation prefix; they exist nowhere else).
ROOT_V4=192.0.2.10;   ROOT_V6=2001:db8::10    # BIND: the signed root zone "."
NS1_V4=192.0.2.1;     NS1_V6=2001:db8::1      # BIND primary of example.
NS2_V4=192.0.2.2;     NS2_V6=2001:db8::2      # BIND secondary of example.
KNOT_V4=192.0.2.3;    KNOT_V6=2001:db8::3     # Knot DNS, knot.example.
PDNS_V4=192.0.2.4;    PDNS_V6=2001:db8::4     # PowerDNS, pdns.example. + API
RESOLVER_V4=192.0.2.53; RESOLVER_V6=2001:db8::53 # unbound, validating
COLD_V4=192.0.2.54;   COLD_V6=2001:db8::54    # unbound, validating, emptied
                                              # per probe (the cold prober)
MX1_V4=192.0.2.25;    MX1_V6=2001:db8::25     # Postfix mx1 (RSA + ECDSA)
MX2_V4=192.0.2.26;    MX2_V6=2001:db8::26     # Postfix mx2 (RSA), via CNAME
ACME_V4=192.0.2.40;   ACME_V6=2001:db8::40    # pebble (v4 only listener)

# ---------------------------------------------------------------- names
ZONE_BIND=example.
ZONE_KNOT=knot.example.
ZONE_PDNS=pdns.example.
ROOT_NS_NAME=ns.root.
MX1_NAME=mx1.example.
MX2_NAME=mx2.example.            # mx2's real name (A/AAAA)
MX2_ALIAS=mail2.example.         # the MX target: CNAME to mx2.example.
MX1_KNOT_NAME=mx.knot.example.   # second name of mx1, in the Knot zone
MX1_PDNS_NAME=mx.pdns.example.   # third name of mx1, in the PowerDNS zone
ACME_NAME=acme.example.

# TTL of every record in the served zones, and the SOA negative TTL.
WORLD_TTL=5

PDNS_API_PORT=8081
PEBBLE_PORT=14000
PEBBLE_MGMT_PORT=15000

# ---------------------------------------------------------------- helpers
say() { printf '%s\n' "world: $*" >&2; }
die() { printf '%s\n' "world: ERROR: $*" >&2; exit 1; }

# Run a command inside the namespace.
nsx() { ip netns exec "$WORLD_NS" "$@"; }

# now_ms: milliseconds since the epoch (for timings).
now_ms() { date +%s%3N; }

# wait_for SECONDS DESCRIPTION CMD...: run CMD every 0.1 s until it succeeds
# or SECONDS pass. Bounded, so a broken component fails fast and visibly.
wait_for() {
	local limit=$1 what=$2 i=0 max
	shift 2
	max=$((limit * 10))
	while [ "$i" -lt "$max" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	say "timed out after ${limit}s waiting for: $what"
	return 1
}

# wait_up NAME SECONDS DESCRIPTION CMD...: wait_for, but give up at once
# when the daemon NAME (pid in $WORLD_DIR/pids/NAME.pid) has exited.
wait_up() {
	local name=$1 limit=$2 what=$3 i=0 max pid
	shift 3
	pid=$(cat "$WORLD_DIR/pids/$name.pid" 2>/dev/null)
	max=$((limit * 10))
	while [ "$i" -lt "$max" ]; do
		"$@" >/dev/null 2>&1 && return 0
		if ! pid_alive "$pid"; then
			say "$name (pid ${pid:-?}) exited while waiting for: $what"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	say "timed out after ${limit}s waiting for: $what"
	return 1
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	local st
	[ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# pid_in_world PID: the process runs inside our namespace. Used before every
# kill, so a stale pid file can never hit an unrelated process that happens
# to have been given the same pid.
pid_in_world() {
	local p
	pid_alive "$1" || return 1
	for p in $(ip netns pids "$WORLD_NS" 2>/dev/null); do
		[ "$p" = "$1" ] && return 0
	done
	return 1
}

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL. Only for pids that
# pid_in_world confirms.
stop_pid() {
	local pid=$1 limit=${2:-5} i=0
	pid_in_world "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	while pid_alive "$pid" && [ "$i" -lt $((limit * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if pid_alive "$pid"; then
		say "pid $pid ignored SIGTERM for ${limit}s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null
		sleep 0.1
	fi
	return 0
}

# spawn NAME CMD...: start CMD inside the namespace, in the background, with
# output appended to $WORLD_DIR/log/NAME.log. "ip netns exec" does not fork
# (it execs CMD), so $! is the daemon's own pid: it goes into
# $WORLD_DIR/pids/NAME.pid and $SPAWNED_PID. Daemons must run in the
# foreground for this to hold (named -f, knotd, unbound -d, master -d...).
spawn() {
	local name=$1
	shift
	ip netns exec "$WORLD_NS" "$@" </dev/null >>"$WORLD_DIR/log/$name.log" 2>&1 &
	SPAWNED_PID=$!
	echo "$SPAWNED_PID" >"$WORLD_DIR/pids/$name.pid"
}

# start_named NAME: the BIND instance configured in $WORLD_DIR/NAME.
start_named() {
	spawn "$1" /usr/sbin/named -f -n 1 -c "$WORLD_DIR/$1/named.conf"
}

# named_authoritative V4 V6: the options statements of an authoritative-only
# BIND instance on V4 and V6. Every source address is explicit: all
# addresses sit on one lo, and the kernel would otherwise pick the
# destination itself as source.
named_authoritative() {
	cat <<EOF
	listen-on port 53 { $1; };
	listen-on-v6 port 53 { $2; };
	query-source address $1;
	query-source-v6 address $2;
	transfer-source $1;
	transfer-source-v6 $2;
	notify-source $1;
	notify-source-v6 $2;
	recursion no;
	dnssec-validation no;
EOF
}

# world_certbot_conf DIR: hooks/acme/certbot's settings for the world's
# pebble, in DIR/certbot.conf (mode 0600): the webroot DIR/www, certbot's
# own directories below DIR/certbot.
world_certbot_conf() {
	(
	umask 077
	cat >"$1/certbot.conf" <<CONF
CERTBOT_SERVER=$PEBBLE_DIRECTORY_URL
CERTBOT_EMAIL=postmaster@example
CERTBOT_AUTH="--webroot --webroot-path $1/www"
CERTBOT_CONFIG_DIR=$1/certbot/config
CERTBOT_WORK_DIR=$1/certbot/work
CERTBOT_LOGS_DIR=$1/certbot/logs
CERTBOT_CA_BUNDLE=$PEBBLE_TLS_CA_FILE
CONF
	)
}

# world_daneroll_global DIR: daneroll's [global] section for this world
# (state in DIR/state, its validating resolver, its 5 s TTLs) and the BIND
# publisher, through which example. is updated.
world_daneroll_global() {
	cat <<CONF
[global]
state_dir = $1/state
resolver = $RESOLVER_V4
ttl = 5
margin = 2s
retry_min = 5s
retry_max = 30s
lock_timeout = 60s

[publisher bind]
type = rfc2136
server = $NS1_V4
zone = example
tsig_key_file = $TSIG_KEY_FILE

CONF
}

# start_postfix NAME: the Postfix instance configured in $WORLD_DIR/NAME/conf.
# "postfix check" creates the queue directories and checks permissions; it
# runs under script(1) because Postfix commands write their errors to a
# terminal only (and, without one, spend 2 s trying to reach a postlogd
# that is not running yet). Then the master runs in the foreground (-d), so
# its pid is ours to keep.
start_postfix() {
	local conf=$WORLD_DIR/$1/conf cmd
	cmd=$(printf '%q ' ip netns exec "$WORLD_NS" /usr/sbin/postfix -c "$conf" check)
	script -qec "$cmd" /dev/null </dev/null >>"$WORLD_DIR/log/$1.log" 2>&1 || return 1
	spawn "$1" /usr/lib/postfix/sbin/master -c "$conf" -d
}

# set_env_pid NAME PID: record a restarted daemon's pid in $WORLD_DIR/env.
set_env_pid() {
	local var
	var=PID_$(echo "$1" | tr a-z A-Z)
	[ -f "$WORLD_DIR/env" ] || return 0
	if grep -q "^$var=" "$WORLD_DIR/env"; then
		sed -i "s/^$var=.*/$var='$2'/" "$WORLD_DIR/env"
	else
		printf "%s='%s'\n" "$var" "$2" >>"$WORLD_DIR/env"
	fi
}

# service_ctl NAME ACTION USAGE UP GONE: stop, start, restart or status
# of one daemon of the world (postfix.sh, secondary.sh), its pid in
# $WORLD_DIR/pids/NAME.pid. UP and GONE name the caller's functions that
# start it and wait until it serves, and wait until nothing answers for it
# any more (passed by name: lib.sh is also the demo's, which has neither);
# another ACTION prints "usage: $0 USAGE" and exits 64.
service_ctl() {
	local name=$1 pidf=$WORLD_DIR/pids/$1.pid up=$4 gone=$5
	case $2 in
	stop) svc_stop ;;
	start) svc_start ;;
	restart) svc_stop && svc_start ;;
	status)
		if svc_running; then echo "$name running, pid $(cat "$pidf")"; else echo "$name stopped"; exit 3; fi ;;
	*) echo "usage: $0 $3" >&2; exit 64 ;;
	esac
}
# The three below run inside service_ctl: its name, pidf, up and gone.
svc_running() { [ -f "$pidf" ] && pid_in_world "$(cat "$pidf")"; }
svc_stop() {
	if svc_running; then
		stop_pid "$(cat "$pidf")" 10
	fi
	rm -f "$pidf"
	set_env_pid "$name" ""
	"$gone"
}
svc_start() {
	if svc_running; then
		say "$name is already running (pid $(cat "$pidf"))"
		return 0
	fi
	"$up"
}

# ns_exists: the namespace $WORLD_NS exists.
ns_exists() {
	ip netns list 2>/dev/null | awk -v n="$WORLD_NS" '$1 == n { f = 1 } END { exit !f }'
}

# banner ADDRESS: an SMTP server on ADDRESS port 25 greets with 220.
banner() {
	nsx timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/25" && head -c 3 <&3 | grep -q 220' "$1"
}

# require_world: a world made by up.sh exists in $WORLD_DIR.
require_world() {
	[ -f "$WORLD_DIR/$WORLD_MARK" ] && [ -f "$WORLD_DIR/env" ] && ns_exists ||
		die "no world is up in $WORLD_DIR (namespace $WORLD_NS): run tests/world/up.sh"
}
