#!/bin/bash
# Stops or starts just the BIND secondary (ns2) of the test world, for fault
# tests: a stopped secondary does not answer at all; a started one loads its
# copy of example. from disk and then asks the primary for newer versions.
#
#   tests/world/secondary.sh stop|start|restart|status
#
# Uses WORLD_DIR / WORLD_NS from the environment (defaults as up.sh's).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/world/lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
require_world
PIDF=$WORLD_DIR/pids/ns2.pid

running() { [ -f "$PIDF" ] && pid_in_world "$(cat "$PIDF")"; }

do_stop() {
	if running; then
		stop_pid "$(cat "$PIDF")" 10
	fi
	rm -f "$PIDF"
	set_env_pid ns2 ""
	# Until nothing answers on its addresses any more.
	wait_for 5 "ns2 to go silent" sh -c "! ip netns exec '$WORLD_NS' dig +time=1 +tries=1 @$NS2_V4 example. SOA >/dev/null"
}

do_start() {
	if running; then
		say "ns2 is already running (pid $(cat "$PIDF"))"
		return 0
	fi
	start_named ns2
	set_env_pid ns2 "$SPAWNED_PID"
	wait_for 10 "ns2 to serve $ZONE_BIND" sh -c \
		"ip netns exec '$WORLD_NS' dig +norec +time=1 +tries=1 @$NS2_V4 $ZONE_BIND SOA | grep -q 'status: NOERROR'" ||
		die "ns2 did not come back (see $WORLD_DIR/ns2/named.log)"
}

case ${1:-} in
stop) do_stop ;;
start) do_start ;;
restart) do_stop && do_start ;;
status)
	if running; then echo "ns2 running, pid $(cat "$PIDF")"; else echo "ns2 stopped"; exit 3; fi ;;
*) echo "usage: $0 stop|start|restart|status" >&2; exit 64 ;;
esac
