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

svc_gone() {
	# Until nothing answers on its addresses any more.
	wait_for 5 "ns2 to go silent" sh -c "! ip netns exec '$WORLD_NS' dig +time=1 +tries=1 @$NS2_V4 example. SOA >/dev/null"
}

svc_up() {
	start_named ns2
	set_env_pid ns2 "$SPAWNED_PID"
	wait_for 10 "ns2 to serve $ZONE_BIND" sh -c \
		"ip netns exec '$WORLD_NS' dig +norec +time=1 +tries=1 @$NS2_V4 $ZONE_BIND SOA | grep -q 'status: NOERROR'" ||
		die "ns2 did not come back (see $WORLD_DIR/ns2/named.log)"
}

service_ctl ns2 "${1:-}" "stop|start|restart|status" svc_up svc_gone
