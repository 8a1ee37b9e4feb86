#!/bin/bash
# Controls one Postfix MX instance of the test world.
#
#   tests/world/postfix.sh mx1|mx2 reload|stop|start|restart|status
#
# "reload" runs exactly what daneroll's configured reload command runs (an
# argument vector, no shell):
#   ip netns exec $WORLD_NS /usr/sbin/postfix -c $WORLD_DIR/NAME/conf reload
# (also in $WORLD_DIR/env as MX1_RELOAD_CMD / MX2_RELOAD_CMD). A reload
# keeps the listening sockets; new smtpd processes load the new chain files.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/world/lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
name=${1:-}
action=${2:-}
case $name in
mx1) v4=$MX1_V4 v6=$MX1_V6 ;;
mx2) v4=$MX2_V4 v6=$MX2_V6 ;;
*) echo "usage: $0 mx1|mx2 reload|stop|start|restart|status" >&2; exit 64 ;;
esac
require_world
conf=$WORLD_DIR/$name/conf
[ -d "$conf" ] || die "$name is not part of this world (up.sh --only?)"

svc_gone() {
	# The master is gone; wait for its children to let go of port 25 too.
	wait_for 10 "$name to stop listening" sh -c "! ip netns exec '$WORLD_NS' \
		bash -c 'exec 3<>/dev/tcp/$v4/25' 2>/dev/null"
}

svc_up() {
	start_postfix "$name" || die "$name: postfix check failed (see $WORLD_DIR/log/$name.log)"
	set_env_pid "$name" "$SPAWNED_PID"
	wait_for 10 "$name on $v4" banner "$v4" && wait_for 10 "$name on $v6" banner "$v6" ||
		die "$name did not start (see $WORLD_DIR/$name/maillog)"
}

case $action in
reload) exec ip netns exec "$WORLD_NS" /usr/sbin/postfix -c "$conf" reload ;;
*) service_ctl "$name" "$action" "mx1|mx2 reload|stop|start|restart|status" \
	    svc_up svc_gone ;;
esac
