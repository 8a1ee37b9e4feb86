#!/bin/sh
# The JSON contract (docs/json.md, docs/schema/), proven:
#  1. the schemas are JSON Schema (draft 2020-12), strict (no member they
#     do not name), and their closed sets of strings are exactly the C
#     source's (state and action names, check results and finding codes,
#     ...): a name added to the code without the schema fails here;
#  2. every --json command in the tests goes through testlib's json_keep,
#     so that each document the suite produces is checked (at each
#     script's summary) against its schema;
#  3. plan, status, records and check --json through the states a host
#     goes through: first contact, a rollover (publishing, ageing,
#     standby, a forced roll, issuing to verifying), a host whose
#     publisher is down (failures, back-off), one whose served file is
#     unreadable (critical alert, served_error), and a configuration
#     with no host (check's UNKNOWN document); every document is valid;
#  4. the schemas reject what breaks the contract: an unknown member, a
#     value outside a closed set, a missing format, another format, a
#     time as epoch seconds, a _unix companion that disagrees.
#
# DNS: fake_auth_dns.py on loopback (127.0.0.1:PORT as the resolver,
# 127.0.0.2:53 as the zone's nameserver), as in secrets.sh; part 3 needs
# root for port 53 (else skipped). The test build fakes the clock
# (DANEROLL_NOW).
set -u
. "$(dirname "$0")/testlib"
bin=${DANEROLL_TEST_BIN:-./build/daneroll-test}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
validate="$top/tests/tools/json_validate.py"

if ! python3 -c 'import jsonschema' 2>/dev/null; then
	not_ok "python3 jsonschema" "missing: sh tests/deps.sh test installs python3-jsonschema"
	summary; exit 1
fi
t=$(mktemp -d)
dnspid=
trap '[ -n "$dnspid" ] && kill $dnspid 2>/dev/null; rm -rf "$t"' EXIT
chmod 700 "$t"

# ------------------------------------------ 1. the schemas and the source
out=$(python3 - "$top" <<'PY' 2>&1
import json, re, sys
import jsonschema
top = sys.argv[1]
src = lambda f: re.sub(r"\s+", " ", open("%s/src/%s" % (top, f)).read())
schema = {}
for n in ("plan", "status", "records", "check"):
    schema[n] = json.load(open("%s/docs/schema/%s.schema.json" % (top, n)))
    jsonschema.Draft202012Validator.check_schema(schema[n])

def walk(node, path, out):
    if isinstance(node, dict):
        if node.get("type") == "object" and \
                node.get("additionalProperties") is not False:
            out.append(path + ": an object without additionalProperties false")
        for k, v in node.items():
            walk(v, path + "/" + k, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, "%s/%d" % (path, i), out)
bad = []
for n, s in schema.items():
    walk(s, n, bad)
    if s["properties"].get("format") != {"const": 1} or \
            "format" not in s["required"]:
        bad.append(n + ": no required format 1")

def array(f, name):
    m = re.search(r"%s\[[A-Z_]*\] = \{ (.*?) \};" % name, src(f))
    return set(re.findall(r'"([^"]+)"', m.group(1)))
def cases(f, fn):
    m = re.search(r"\n?%s\(enum [a-z_]+ [a-z]+\) \{(.*?)\n?\}" % fn, src(f))
    return set(re.findall(r'return "([^"]+)";', m.group(1))) - {"unknown"}
check = "".join(src(f) for f in (
    "check.c", "check_rules.c", "check_format.c", "check_gather.c"))
codes = set(re.findall(r'check_add\(rep, [^;]*?, [^,;]+, "([a-z-]+)"', check))
codes |= set(re.findall(r'code = (?:[^;]*\? )?"([a-z-]+)"', check))
for m in re.finditer(r"check_print_failure\((.*?)\);", src("cmd.c")):
    codes |= set(re.findall(r'"([a-z-]+)"', m.group(1)))
results = cases("verify.c", "verify_status_str") | set(
    re.findall(r'return "([a-z-]+)";', re.search(
        r"ep_result\(.*?\{(.*?)\}", check).group(1)))
d = lambda n, k: schema[n]["$defs"][k]
want = [
    ("state names", array("machine.c", "state_names"),
     [d("status", "state")["enum"], d("plan", "state")["enum"]]),
    ("action names", array("machine.c", "action_names"),
     [d("status", "action")["enum"],
      d("plan", "action_step")["properties"]["action"]["enum"] + ["none"]]),
    ("algorithms", array("conf.c", "alg_names"),
     [d("status", "algorithm")["enum"], d("plan", "algorithm")["enum"],
      d("check", "endpoint")["properties"]["alg"]["enum"]]),
    ("schemes", cases("conf.c", "conf_scheme_str"),
     [d("status", "scheme")["enum"],
      d("plan", "host")["properties"]["scheme"]["enum"]]),
    ("alert levels", cases("machine.c", "alert_level_str"),
     [d("status", "slot")["properties"]["alert"]["enum"]]),
    ("check statuses", cases("check.c", "check_sev_str"),
     [d("check", "status")["enum"]]),
    ("DNSSEC verdicts", cases("resolve.c", "resolve_sec_str"),
     [d("check", "dnssec")["enum"]]),
    ("endpoint results", results,
     [d("check", "endpoint")["properties"]["result"]["enum"]]),
    ("finding codes", codes, [d("check", "code")["enum"]]),
]
for what, names, enums in want:
    if len(names) < 2:
        bad.append("%s: not found in the source (%s)" % (what, names))
    for e in enums:
        if set(e) != names:
            bad.append("%s: the source has %s, a schema %s" % (
                what, sorted(names), sorted(e)))
print("\n".join(bad) if bad else "%d closed sets" % len(want))
sys.exit(1 if bad else 0)
PY
)
if [ $? -eq 0 ]; then
	ok "the schemas are valid draft 2020-12, strict, with format 1; their closed sets are the source's ($out)"
else not_ok "the schemas are valid, strict, and their closed sets the source's" "$out"; fi

# ------------------------------- 2. no --json document escapes its schema
# A line that runs daneroll (or a live driver) with --json, in a test,
# passes its output to json_keep on that line or the next two (drj in
# secrets.sh and vg in valgrind.sh do it for their callers).
lint=$(cd "$top" && for f in tests/integration/*.sh tests/integration/worldrun \
    tests/integration/e2elib tests/pkg/*.sh; do
	awk -v f="$f" '{ l[FNR] = $0 }
	END {
		for (i = 1; i <= FNR; i++) {
			if (l[i] ~ /^[ \t]*#/ || l[i] !~ / --json( |$|\))/)
				continue
			if (l[i] !~ /(\$bin|\$DR|\$live|\$tbin|\$ubin|(^|[ \t(])dr |measure )/)
				continue
			if ((l[i] l[i + 1] l[i + 2]) !~ /json_keep/)
				print f ":" i ": " l[i]
		}
	}' "$f"
done | grep -v -e 'acme-hook')
if [ -z "$lint" ]; then
	ok "every --json command of the tests goes through json_keep"
else not_ok "every --json command of the tests goes through json_keep" "$lint"; fi

# --------------------------------------------------- 3. through the states
mkdir -p "$t/state" "$t/rr"
mini_deploy "$t"
cp "$t/live/mx1-ecdsa-p256.pem" "$t/live/mx2-ecdsa-p256.pem"
printf 'garbage\n' > "$t/live/mx3-ecdsa-p256.pem"
chmod 600 "$t"/live/*.pem
local_ca "$t/ca"
printf 'api-key-of-no-server\n' > "$t/api.key"
chmod 600 "$t/api.key"
cat > "$t/publish" <<HOOK
#!/bin/sh
# publish ZONE OWNER TTL RECORD...: into the fake DNS's RRset files.
shift; owner=\$1; shift 2
exec "$top/tests/integration/rr_write" "$t/rr" "\$owner" "\$@"
HOOK
chmod 755 "$t/publish"

# A configuration with no host: check --json still says UNKNOWN, as JSON.
printf '[global]\nstate_dir = %s/state\nresolver = 127.0.0.1#9\n' "$t" \
	> "$t/empty.conf"
"$bin" -c "$t/empty.conf" check --json >"$t/out" 2>"$t/err"; rc=$?
json_keep check "(no host)" <"$t/out" >/dev/null
if [ $rc -eq 3 ] && jq -e '.status == "UNKNOWN" and .hosts == [] and
    .findings[0].code == "config"' "$t/out" >/dev/null 2>&1; then
	ok "no host: check --json is an UNKNOWN document, a config finding (exit 3)"
else not_ok "no host: check --json is an UNKNOWN document" "rc=$rc $(cat "$t/out" "$t/err")"; fi
"$bin" -c "$t/empty.conf" check --json --no-such-option >"$t/out" 2>/dev/null
json_keep check --no-such-option <"$t/out" >/dev/null
jq -e '.findings[0].code == "usage"' "$t/out" >/dev/null 2>&1 &&
	ok "a bad option: check --json is an UNKNOWN document, a usage finding" ||
	not_ok "a bad option: check --json is an UNKNOWN document" "$(cat "$t/out")"

if [ "$(id -u)" -ne 0 ]; then
	skip "plan, status, records, check --json through a rollover" "needs root (port 53 on 127.0.0.2)"
else
# The fake DNS, on a free port (three tries).
for try in 1 2 3; do
	port=$((20000 + ($$ + try * 7919) % 20000))
	python3 "$top/tests/integration/fake_auth_dns.py" "$t/rr" \
		127.0.0.1:$port 127.0.0.2:53 > "$t/dns.log" 2>&1 &
	dnspid=$!
	i=0
	while ! grep -q ready "$t/dns.log" && kill -0 $dnspid 2>/dev/null &&
	    [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	grep -q ready "$t/dns.log" && break
	kill $dnspid 2>/dev/null; dnspid=
done
fi
if [ "$(id -u)" -eq 0 ] && [ -z "$dnspid" ]; then
	skip "plan, status, records, check --json through a rollover" "the fake DNS did not start: $(tail -n 3 "$t/dns.log")"
elif [ "$(id -u)" -eq 0 ]; then
# What mx1 serves at first contact: its deployed key's record.
printf '3 1 1 %s\n' "$(spki_of_key "$t/k.pem")" > "$t/rr/_25._tcp.mx1.example.org"
{
	conf_global "retry_min = 10s"
	cat <<CONF
[publisher script]
type = exec
command = $t/publish

[publisher api]
type = pdns
api_url = http://127.0.0.1:9
api_key_file = $t/api.key
zone = example.org

CONF
	conf_host mx1.example.org script \
		"$top/hooks/acme/local-ca $t/ca/settings" /bin/true
	conf_host mx2.example.org api /bin/true /bin/true
	conf_host mx3.example.org script /bin/true /bin/true
} > "$t/d.conf"
# snap AT: every read command's document at time AT, into $t/docs/.
mkdir -p "$t/docs"
n=0
snap() {
	for c in "plan" "status" "records mx1.example.org" \
	    "records mx2.example.org"; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # the command's words
		DANEROLL_NOW=$1 "$bin" -c "$t/d.conf" $c --json 2>>"$t/log" |
		    json_keep $c >"$t/docs/$n.${c%% *}.json"
	done
}
now=$(date +%s)
snap "$now"
DANEROLL_NOW=$now "$bin" -c "$t/d.conf" check --json >"$t/docs/check1.json" 2>>"$t/log"
json_keep check <"$t/docs/check1.json" >/dev/null
# Runs until mx1 rests, then a forced roll to its end.
at=$now
for i in $(seq 1 12); do
	at=$((at + 100))
	DANEROLL_NOW=$at "$bin" -c "$t/d.conf" run >>"$t/log" 2>&1
	snap "$at"
	[ $i -eq 4 ] && "$bin" -c "$t/d.conf" roll mx1.example.org >>"$t/log" 2>&1
done
# A day later: mx2's publisher has failed past tempfail_limit.
DANEROLL_NOW=$((at + 90000)) "$bin" -c "$t/d.conf" run >>"$t/log" 2>&1
snap $((at + 90000))
DANEROLL_NOW=$at "$bin" -c "$t/d.conf" check --json >"$t/docs/check2.json" 2>>"$t/log"
json_keep check <"$t/docs/check2.json" >/dev/null
# What the documents show, over all of them: every state of the way.
seen=$(cd "$t/docs" && jq -r '
	(.hosts[]?.slots[]? | "state:" + .state, "alert:" + .alert,
	    (select(.served_error != null) | "served_error"),
	    (select(.failures > 0) | "failures"),
	    (select(.wake_at != null) | "wake_at"),
	    (select(.current_spki != null and .next_spki != null) | "keys"),
	    (.steps[]? | "step:" + .action)),
	(.hosts[]?.events[]? | "event", (select(.from != null) | "transition")),
	(.hosts[]?.dns_changes[]? | (select(.add_new != []) | "add_new"),
	    (select(.nsupdate != null) | "nsupdate")),
	(.hosts[]?.serves_today? // empty | "serves_today"),
	(.records[]? | "record"),
	(.hosts[]?.endpoints[]? | "result:" + .result),
	(.hosts[]?.findings[]? | "finding:" + .code)
	' ./*.json 2>&1 | sort -u | tr '\n' ' ')
missing=
for w in state:new state:publishing state:ageing state:standby \
    state:rollback state:failed alert:ok alert:warning alert:critical served_error failures wake_at keys \
    step:adopt step:generate step:publish step:observe step:wait step:none \
    event transition add_new nsupdate serves_today record finding:dnssec-unsigned; do
	case " $seen " in *" $w "*) ;; *) missing="$missing $w" ;; esac
done
if [ -z "$missing" ]; then
	ok "the documents cover first contact, a rollover, a forced roll, a failing publisher, an unreadable served file ($(ls "$t/docs" | wc -l) documents)"
else not_ok "the documents cover every state of the way" "missing:$missing
seen: $seen
$(tail -n 15 "$t/log")"; fi
fi

# ------------------------------------------ 4. what the schemas must refuse
# A valid document of each kind, then one change each: refused, naming it.
cp "$top/tests/data/check/report.json" "$t/check.json"
cat > "$t/status.json" <<'DOC'
{"format": 1, "hosts": [{"host": "mx1.example.org", "scheme": "current+next",
 "ca_change": null, "keys_kept": 2, "slots": [{"algorithm": "ecdsa-p256",
 "state": "ageing", "next_action": "none", "reason": "waiting past the TTL",
 "wake_at": "2026-12-06T20:31:05Z", "wake_at_unix": 1796589065,
 "current_spki": null, "next_spki": null, "cert_not_after": null,
 "cert_not_after_unix": null, "last_error": null, "failures": 0,
 "alert": "ok", "alert_reason": null, "served_error": null,
 "keys_kept": 2}], "events": [{"at": "2026-12-06T20:30:00Z",
 "at_unix": 1796589000, "slot": "ecdsa-p256", "from": "publishing",
 "to": "ageing", "reason": "served everywhere"}]},
 {"host": "mx2.example.org", "scheme": "current+issuer", "error": "why"}]}
DOC
cat > "$t/plan.json" <<'DOC'
{"format": 1, "hosts": [{"host": "mx1.example.org", "scheme": "current+next",
 "ca_change": null, "slots": [{"algorithm": "rsa2048", "state": "standby",
 "steps": [{"action": "issue", "state": "issuing", "reason": "renewal due",
 "at": "2026-12-06T20:31:05Z", "at_unix": 1796589065, "runs": "hook"},
 {"action": "none", "state": "standby", "reason": "nothing due",
 "until": null, "until_unix": null}]}], "dns_changes": [{"owner":
 "_25._tcp.mx1.example.org", "publisher": "bind", "add": [], "add_new":
 ["rsa2048"], "remove": ["3 1 1 00ff"]}]}]}
DOC
printf '{"format": 1, "host": "mx1.example.org", "records": [{"owner": "_25._tcp.mx1.example.org", "ttl": 60, "tlsa": "3 1 1 00ff"}]}\n' > "$t/records.json"
for k in check status plan records; do
	if out=$(python3 "$validate" --schema "$k" "$t/$k.json" 2>&1); then
		ok "a valid $k document passes"
	else not_ok "a valid $k document passes" "$out"; fi
done
# SCHEMA ^ what ^ jq change ^ words of the refusal
while IFS='^' read -r k what change words; do
	[ -n "$k" ] || continue
	jq -c "$change" "$t/$k.json" > "$t/bad.json" 2>"$t/jq.err" ||
		{ not_ok "refused: $k: $what" "jq: $(cat "$t/jq.err")"; continue; }
	out=$(python3 "$validate" --schema "$k" "$t/bad.json" 2>&1); rc=$?
	if [ $rc -eq 1 ] && printf '%s' "$out" | grep -qF -- "$words"; then
		ok "refused: $k: $what"
	else not_ok "refused: $k: $what (exit $rc, want 1 naming: $words)" "$out"; fi
done <<'TABLE'
check^an unknown top-level member^.extra = 1^'extra' was unexpected
check^an unknown endpoint member^.hosts[0].endpoints[0].rtt = 5^'rtt' was unexpected
check^an endpoint result outside the set^.hosts[0].endpoints[0].result = "no-such-result"^'no-such-result' is not one of
check^a finding code outside the set^.hosts |= map(.findings |= map(.code = "tlsa-wrong"))^'tlsa-wrong' is not one of
check^a missing format^del(.format)^'format' is a required property
check^format 2^.format = 2^1 was expected
check^a time as epoch seconds^.time = .time_unix^is not of type 'string', 'null'
check^a _unix companion that disagrees^.time_unix += 1^is not time_unix
check^a time without its companion^del(.hosts[0].rrsig_expires_unix)^'rrsig_expires_unix' is a required property
check^status and exit code apart^.exit_code = 0^2 was expected
status^an unknown slot member^.hosts[0].slots[0].colour = "red"^'colour' was unexpected
status^a state outside the set^.hosts[0].slots[0].state = "sleeping"^'sleeping' is not one of
status^an alert outside the set^.hosts[0].slots[0].alert = "panic"^'panic' is not one of
status^an event at epoch seconds^.hosts[0].events[0].at = 1796589000^1796589000 is not of type 'string'
status^an unreadable host with slots^.hosts[1].slots = []^'slots' was unexpected
status^a missing format^del(.format)^'format' is a required property
status^the old top-level array^.hosts^is not of type 'object'
plan^a step action outside the set^.hosts[0].slots[0].steps[0].action = "reboot"^'reboot' is not one of
plan^a wait without until^del(.hosts[0].slots[0].steps[1].until)^'until' is a required property
plan^nsupdate while add_new is not empty^.hosts[0].dns_changes[0].nsupdate = "send"^should not be valid under
plan^an unknown host member^.hosts[0].owner = "x"^'owner' was unexpected
records^a record that is not TLSA data^.records[0].tlsa = "3 1 1 XYZ"^does not match
records^a missing format^del(.format)^'format' is a required property
TABLE
# The example of docs/json.md, and the golden report of test_check.
sed -n '/^```json$/,/^```$/p' "$top/docs/json.md" | sed '1d;$d' > "$t/example.json"
out=$(python3 "$validate" --schema check "$t/example.json" "$top/tests/data/check/report.json" 2>&1) &&
	ok "docs/json.md's example and tests/data/check/report.json are valid check documents" ||
	not_ok "docs/json.md's example and tests/data/check/report.json are valid check documents" "$out"
jq '.hosts[0].endpoints[0].result = "no-tlsa"' "$t/check.json" > "$t/nt.json"
out=$(python3 "$validate" --schema check "$t/nt.json" 2>&1) &&
	ok "an endpoint result of no-tlsa passes" || not_ok "an endpoint result of no-tlsa passes" "$out"

summary
