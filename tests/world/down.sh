#!/bin/bash
# Tears the daneroll test world down completely: stops every daemon that
# up.sh started (by the pids it recorded, then any process still inside the
# namespace, which can only be ours), deletes the namespace,
# /etc/netns/$WORLD_NS and $WORLD_DIR.
#
#   tests/world/down.sh [--dir DIR] [--ns NAME]
#
# Safe to run twice, and after a half-failed up.sh.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
while [ $# -gt 0 ]; do
	case $1 in
	--dir) WORLD_DIR=$2; shift 2 ;;
	--ns) WORLD_NS=$2; shift 2 ;;
	*) echo "usage: $0 [--dir DIR] [--ns NAME]" >&2; exit 64 ;;
	esac
done
# shellcheck source=tests/world/lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
T0=$(now_ms)

# 0. An up.sh still at work for this world (killed half-way, or running
#    concurrently) and its background helper: stop them first, so they
#    start nothing more. Never our own caller (up.sh runs us on failure).
for f in "$WORLD_DIR"/pids/*.shpid; do
	[ -f "$f" ] || continue
	pid=$(cat "$f")
	if [ "$pid" != "$PPID" ] && [ "$pid" != $$ ] && pid_alive "$pid" &&
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'up\.sh'; then
		kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$f"
done

# 1. The daemons we recorded, Postfix first (its master stops its children),
#    then the rest in parallel-ish order. stop_pid only signals a pid that
#    really is inside our namespace.
if [ -d "$WORLD_DIR/pids" ]; then
	for name in mx1 mx2 pebble unbound unbound-cold root ns2 ns1 pdns knot; do
		f=$WORLD_DIR/pids/$name.pid
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		pid_in_world "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for f in "$WORLD_DIR"/pids/*.pid; do
		[ -f "$f" ] || continue
		stop_pid "$(cat "$f")" 5
		rm -f "$f"
	done
fi

# 2. Anything left inside the namespace (Postfix children, a daemon whose
#    pid file was never written): the namespace is ours, so are they.
if ns_exists; then
	for i in 1 2 3; do
		left=$(ip netns pids "$WORLD_NS" 2>/dev/null)
		[ -z "$left" ] && break
		for p in $left; do
			if [ "$i" -lt 3 ]; then kill -TERM "$p" 2>/dev/null
			else kill -KILL "$p" 2>/dev/null; fi
		done
		sleep 0.5
	done
	left=$(ip netns pids "$WORLD_NS" 2>/dev/null)
	[ -n "$left" ] && say "warning: processes still in $WORLD_NS: $left"
	ip netns del "$WORLD_NS" || say "warning: ip netns del $WORLD_NS failed"
fi

# 3. Files: the namespace's resolv.conf and the world directory (only when
#    it carries our marker, so a wrong WORLD_DIR is never removed).
rm -rf "/etc/netns/$WORLD_NS"
if [ -e "$WORLD_DIR" ]; then
	if [ -f "$WORLD_DIR/$WORLD_MARK" ] && [ "$WORLD_DIR" != / ]; then
		rm -rf "$WORLD_DIR"
	else
		die "$WORLD_DIR has no $WORLD_MARK marker: not removing it"
	fi
fi

T1=$(now_ms)
say "down in $(((T1 - T0) / 1000)).$(printf '%03d' $(((T1 - T0) % 1000))) s"
exit 0
