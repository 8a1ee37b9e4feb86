#!/bin/sh
# Log lines as the operator meets them: syslog priorities, facility and
# ident under --syslog (what the systemd unit uses), -q and -v, the
# terminal format, and the run --wait countdown on a terminal only.
#
# syslog(3) writes to /dev/log. Each --syslog command runs in a private
# mount namespace whose /dev/log is a listener's socket, so each datagram
# (with its <PRI>) is seen as glibc sent it, and nothing reaches the
# machine's own syslog.
set -u
. "$(dirname "$0")/testlib"
bin=${DANEROLL_BIN:-./daneroll}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

if ! unshare -m --propagation private true 2>/dev/null ||
    ! command -v python3 >/dev/null || ! command -v logger >/dev/null; then
	skip "logging" "needs root (unshare -m), python3 and logger"
	summary
	exit
fi

t=$(mktemp -d)
lpid=
trap '[ -n "$lpid" ] && kill "$lpid" 2>/dev/null; rm -rf "$t"' EXIT
mkdir -p "$t/live" "$t/state" "$t/dev"

cat > "$t/listen.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    f.write(b"ready\n")
    while True:
        f.write(s.recv(65536).replace(b"\n", b"\\n") + b"\n")
PY
python3 "$t/listen.py" "$t/log" "$t/all" & lpid=$!
i=0
while ! grep -q '^ready$' "$t/all" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done

# with_log cmd...: cmd in a private mount namespace whose /dev holds the
# device nodes a run uses and, as /dev/log, the listener's socket.
with_log() {
	unshare -m --propagation private sh -c '
		t=$1; shift
		mount -t tmpfs -o mode=755 none "$t/dev" || exit 70
		for n in null zero full random urandom log; do
			touch "$t/dev/$n"
		done
		for n in null zero full random urandom; do
			mount --bind "/dev/$n" "$t/dev/$n" || exit 70
		done
		mount --bind "$t/log" "$t/dev/log" || exit 70
		ln -s /proc/self/fd "$t/dev/fd"
		mount --rbind "$t/dev" /dev || exit 70
		exec "$@"' with_log "$t" "$@"
}

# The host of cli.sh (mini_host in testlib); DNS is unreachable,
# so a run adopts, generates the next key and backs off (75).
mini_host "$t"
sed 's/^ttl = 60/ttl = 60\nbogus_key = 1/' "$t/d.conf" > "$t/bad.conf"

# capture NAME cmd...: run cmd; its datagrams go to $t/NAME.log, its
# stderr to $t/NAME.err, its exit status to $rc. A marker sent after the
# command tells when every datagram before it has been written.
n=0
capture() {
	name=$1; shift
	n=$((n + 1))
	start=$(wc -l < "$t/all")
	with_log "$@" >"$t/$name.out" 2>"$t/$name.err"; rc=$?
	logger -u "$t/log" -d -t daneroll-test "end $n"
	i=0
	while ! grep -q "daneroll-test: end $n\$" "$t/all" && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	tail -n +"$((start + 1))" "$t/all" | grep -v 'daneroll-test: end' > "$t/$name.log"
}
has() { grep -Eq "$2" "$t/$1.log"; }

capture badconf "$bin" --syslog -c "$t/bad.conf" config check
if [ $rc -eq 78 ] && has badconf '^<27>.* daneroll\[[0-9]+\]: error: .*bad\.conf:5: ' &&
    [ ! -s "$t/badconf.err" ]; then
	ok "--syslog: a config error is daemon.err with file:line, nothing on stderr"
else not_ok "--syslog: a config error is daemon.err with file:line, nothing on stderr" \
	"rc=$rc $(cat "$t/badconf.log" "$t/badconf.err")"; fi

capture verbose "$bin" --syslog -v -c "$t/d.conf" run
[ $rc -eq 75 ] && ok "--syslog -v run: DNS unreachable backs off (75)" ||
	not_ok "--syslog -v run: DNS unreachable backs off (75)" "rc=$rc"
has verbose '^<29>.* daneroll\[[0-9]+\]: mx1\.example\.org/ecdsa-p256: new -> publishing: ' &&
	ok "a transition is daemon.notice with host/slot" ||
	not_ok "a transition is daemon.notice with host/slot" "$(cat "$t/verbose.log")"
has verbose '^<28>.* daneroll\[[0-9]+\]: warning: mx1\.example\.org/ecdsa-p256: publish failed 1 time; retrying in ' &&
	ok "a failed step is daemon.warning with host/slot and its retry" ||
	not_ok "a failed step is daemon.warning with host/slot and its retry" "$(cat "$t/verbose.log")"
has verbose '^<27>.* daneroll\[[0-9]+\]: error: mx1\.example\.org: resolver 127\.0\.0\.1#9: .*connection refused' &&
	ok "an unreachable resolver is daemon.err naming host and address" ||
	not_ok "an unreachable resolver is daemon.err naming host and address" "$(cat "$t/verbose.log")"
has verbose '^<30>.* schema migrated to version' &&
	ok "-v adds daemon.info lines" || not_ok "-v adds daemon.info lines" "$(cat "$t/verbose.log")"
# Every line: facility daemon (3), ident daneroll, one pid for the run.
bad=$(sed -E 's/^<([0-9]+)>.*/\1/' "$t/verbose.log" | while read -r p; do
	[ $((p / 8)) -eq 3 ] || echo "$p"; done)
pids=$(sed -E 's/.* daneroll\[([0-9]+)\]: .*/\1/' "$t/verbose.log" | sort -u | wc -l)
if [ -s "$t/verbose.log" ] && [ -z "$bad" ] && [ "$pids" -eq 1 ] &&
    [ "$(grep -vc ' daneroll\[[0-9]*\]: ' "$t/verbose.log")" -eq 0 ]; then
	ok "every datagram: facility daemon, ident daneroll[pid], one pid"
else not_ok "every datagram: facility daemon, ident daneroll[pid], one pid" \
	"bad=$bad pids=$pids"; fi
[ ! -s "$t/verbose.err" ] && ok "--syslog writes nothing to stderr" ||
	not_ok "--syslog writes nothing to stderr" "$(cat "$t/verbose.err")"

capture quiet "$bin" --syslog -q -c "$t/d.conf" --state-dir "$t/state4" run
if has quiet '^<27>' && ! has quiet '^<(2[89]|3[01])>'; then
	ok "-q: errors only"
else not_ok "-q: errors only" "$(cat "$t/quiet.log")"; fi

capture plain "$bin" --syslog -c "$t/d.conf" --state-dir "$t/state2" run
if has plain '^<29>.* new -> publishing' && ! has plain '^<3[01]>'; then
	ok "default: notice and above, no info"
else not_ok "default: notice and above, no info" "$(cat "$t/plain.log")"; fi

capture tty "$bin" -c "$t/d.conf" --state-dir "$t/state3" run
if [ ! -s "$t/tty.log" ] &&
    grep -q '^daneroll: mx1\.example\.org/ecdsa-p256: new -> publishing: ' "$t/tty.err" &&
    grep -q '^daneroll: warning: mx1\.example\.org/ecdsa-p256: publish failed' "$t/tty.err" &&
    [ "$(grep -vc '^daneroll: ' "$t/tty.err")" -eq 0 ]; then
	ok "without --syslog: 'daneroll: [level: ]host/slot: message' on stderr, no syslog"
else not_ok "without --syslog: 'daneroll: [level: ]host/slot: message' on stderr, no syslog" \
	"$(cat "$t/tty.log" "$t/tty.err")"; fi

if grep -q -e "$MINI_SECRET" -e "PRIVATE KEY" "$t/all" "$t"/*.err; then
	not_ok "no secret in any syslog line or stderr"
else ok "no secret in any syslog line or stderr"; fi

# run --wait backs off 5 minutes here: a countdown on a terminal, none
# when stderr is a file or a pipe (cron, the journal); both name the host,
# the slot and what the wait is for.
what='mx1\.example\.org/ecdsa-p256: backing off after a failure'
if command -v script >/dev/null; then
	timeout 4 script -qec "$bin -c $t/d.conf run --wait" /dev/null > "$t/pty.out" 2>&1
	grep -q "$(printf '\r\033\\[Kdaneroll: ')$what: [0-9]*m* *[0-9]*s* *left" "$t/pty.out" &&
		ok "run --wait on a terminal: a countdown naming host, slot and why" ||
		not_ok "run --wait on a terminal: a countdown naming host, slot and why" "$(od -c "$t/pty.out" | head -n 8)"
else skip "run --wait on a terminal: a countdown" "no script(1)"; fi
timeout 4 "$bin" -c "$t/d.conf" run --wait > "$t/notty.out" 2>&1; rc=$?
if [ $rc -eq 124 ] && ! grep -q ' left' "$t/notty.out" &&
    [ "$(grep -c "^daneroll: waiting until [0-9TZ:-]*: $what\$" "$t/notty.out")" -eq 1 ]; then
	ok "run --wait without a terminal: one 'waiting until' line naming host, slot and why, no countdown"
else not_ok "run --wait without a terminal: one 'waiting until' line naming host, slot and why, no countdown" \
	"rc=$rc $(cat "$t/notty.out")"; fi

summary
