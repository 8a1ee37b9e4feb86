#!/bin/sh
# The runs themselves, as Prometheus sees them (issue 16): after real runs
# (the test build, on a fixed clock: DANEROLL_NOW), `check --prometheus`
# writes when the last run over each host ended
# (daneroll_last_run_timestamp_seconds) and when a run last ended with
# each slot's work done and no failure
# (daneroll_slot_last_success_timestamp_seconds).
#
# mx1 reaches rest; every run after that is a success for it, also the
# idle ones, which write nothing for it (one row per run, not one per
# host). mx2's publisher always fails: it never has a success. A run
# naming a host moves that host's last run only; a failure keeps a slot's
# last success where it was while its last run moves on; run -n records
# nothing.
#
# DNS: fake_auth_dns.py on loopback (127.0.0.1:PORT as the resolver,
# 127.0.0.4:53 as the zone's nameserver). Needs root for port 53.
set -u
. "$(dirname "$0")/testlib"
loopback_test "the runs' metrics" "needs root (port 53 on 127.0.0.4) and python3"
mkdir -p "$t/live" "$t/state" "$t/rr" "$t/hooks" "$t/prom"
chmod 700 "$t"

mini_deploy "$t"

# The exec publisher writes the RRset where the fake DNS serves it from.
# Called as: publish replace OWNER TTL RECORD...
cat > "$t/hooks/publish" <<HOOK
#!/bin/sh
shift 2; owner=\$1; shift 2
exec "$top/tests/integration/rr_write" "$t/rr" "\$owner" "\$@"
HOOK
printf '#!/bin/sh\necho "refused by the test" >&2\nexit 1\n' > "$t/hooks/fail"
chmod 755 "$t/hooks/publish" "$t/hooks/fail"

fake_dns 127.0.0.4 "the runs' metrics"

{ conf_global "margin = 10s"; cat <<CONF; } > "$t/d.conf"
[publisher script]
type = exec
command = $t/hooks/publish publish

[publisher broken]
type = exec
command = $t/hooks/fail

CONF
conf_host mx1.example.org script "$t/hooks/fail" /bin/true >> "$t/d.conf"
conf_host mx2.example.org broken "$t/hooks/fail" /bin/true >> "$t/d.conf"

log=$t/log
dr() { # AT ARGS...: daneroll at time AT
	at=$1; shift
	DANEROLL_NOW=$at "$bin" -c "$t/d.conf" "$@" >>"$log" 2>&1
}
# metric NAME HOST [ALG]: its value in a fresh textfile, or "absent".
metric() {
	if [ $# -eq 3 ]; then l="{host=\"$2\",alg=\"$3\"}"; else l="{host=\"$2\"}"; fi
	v=$(grep -F "$1$l " "$t/prom/d.prom" | cut -d' ' -f2)
	echo "${v:-absent}"
}
scrape() { # AT
	rm -f "$t/prom/d.prom"
	dr "$1" check --prometheus "$t/prom/d.prom"
	[ -f "$t/prom/d.prom" ] || echo "no textfile written" >>"$log"
}
# slot_col HOST COLUMN: a column of the host's ECDSA slot, as stored.
slot_col() {
	python3 - "$t/state/daneroll.db" "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
row = db.execute("SELECT s." + sys.argv[3] + " FROM slots s JOIN hosts h "
    "ON h.id = s.host_id WHERE h.name = ? AND s.alg = 'ecdsa-p256'",
    (sys.argv[2],)).fetchone()
print(row[0] if row and row[0] is not None else "none")
PY
}

# mx1 to rest: first contact, the next key published, served, aged.
now=$(date +%s)
at=$now
i=0
while [ $i -lt 15 ]; do
	dr $at run
	state=$(DANEROLL_NOW=$at "$bin" -c "$t/d.conf" status --json mx1.example.org 2>/dev/null |
	    json_keep status mx1.example.org |
	    python3 -c 'import json,sys; s=json.load(sys.stdin)["hosts"][0]["slots"][0]; print(s["state"], s["next_action"])')
	[ "$state" = "standby none" ] && break
	at=$((at + 100)); i=$((i + 1))
done
if [ "$state" = "standby none" ]; then ok "mx1 comes to rest ($((i + 1)) runs)"
else not_ok "mx1 comes to rest" "state: $state
$(tail -n 20 "$log")"; fi

# One more run: idle for mx1 (nothing due), mx2 fails again.
r1=$((at + 300))
before=$(slot_col mx1.example.org last_run_at)
dr $r1 run; rc=$?
[ $rc -eq 69 ] && ok "the run over both hosts exits 69 (mx2's publisher)" ||
	not_ok "the run over both hosts exits 69 (mx2's publisher)" "rc=$rc"
after=$(slot_col mx1.example.org last_run_at)
[ "$before" = "$after" ] && ok "an idle host's slots are not written by a run ($after)" ||
	not_ok "an idle host's slots are not written by a run" "last_run_at $before -> $after"
scrape $((r1 + 5))
v=$(metric daneroll_last_run_timestamp_seconds mx1.example.org)
is "$v" "$r1" "last run of mx1: the run's end"
v=$(metric daneroll_last_run_timestamp_seconds mx2.example.org)
is "$v" "$r1" "last run of mx2: the same run"
v=$(metric daneroll_slot_last_success_timestamp_seconds mx1.example.org ecdsa-p256)
is "$v" "$r1" "mx1 at rest: its last success is the idle run's end"
v=$(metric daneroll_slot_last_success_timestamp_seconds mx2.example.org ecdsa-p256)
[ "$v" = absent ] && ok "mx2, failing since its first run: no last success" ||
	not_ok "mx2, failing since its first run: no last success" "got $v"
v=$(metric daneroll_slot_failures mx2.example.org ecdsa-p256)
[ "${v:-0}" != absent ] && [ "${v:-0}" -ge 1 ] && ok "mx2's slot counts its failures ($v)" ||
	not_ok "mx2's slot counts its failures" "got $v"

# A run naming mx2 moves mx2's last run, not mx1's.
r2=$((r1 + 50))
dr $r2 run mx2.example.org
scrape $((r2 + 5))
v=$(metric daneroll_last_run_timestamp_seconds mx2.example.org)
is "$v" "$r2" "run mx2: mx2's last run moves"
v=$(metric daneroll_last_run_timestamp_seconds mx1.example.org)
is "$v" "$r1" "run mx2: mx1's last run stays"

# run -n records nothing.
dr $((r2 + 20)) run -n
scrape $((r2 + 25))
v=$(metric daneroll_last_run_timestamp_seconds mx1.example.org)
is "$v" "$r1" "run -n: no last run recorded"

# mx1 fails: a forced roll whose ACME hook fails. Its last run moves on,
# its last success stays at the last good run.
dr $((r2 + 30)) roll mx1.example.org
r3=$((r2 + 100))
dr $r3 run; rc=$?
scrape $((r3 + 5))
v=$(metric daneroll_last_run_timestamp_seconds mx1.example.org)
is "$v" "$r3" "mx1 failing: its last run moves on"
v=$(metric daneroll_slot_last_success_timestamp_seconds mx1.example.org ecdsa-p256)
[ "$v" = "$r1" ] && ok "mx1 failing: its last success stays ($v)" ||
	not_ok "mx1 failing: its last success stays" "want $r1, got $v
$(grep -i 'mx1.*fail' "$log" | tail -n 3)"
# ... and an idle run during its back-off is not one either.
r4=$((r3 + 10))
dr $r4 run
scrape $((r4 + 5))
v=$(metric daneroll_slot_last_success_timestamp_seconds mx1.example.org ecdsa-p256)
is "$v" "$r1" "mx1 backing off: still no new success"
summary
