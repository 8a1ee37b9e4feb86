#!/bin/sh
# hooks/dns/desec and hooks/dns/cloudflare against a local stand-in of the
# two HTTP APIs (fake_dns_api.py on 127.0.0.1; no Internet): what they
# send, what ends up published, their exit status for each failure, and
# that the API token is never on curl's command line.
set -u
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
hooks=$top/hooks/dns

bail() {
	skip "dns_hooks" "$1"
	summary
	exit 0
}
for p in python3 curl jq; do
	command -v "$p" >/dev/null 2>&1 || bail "$p not installed"
done

t=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

token=dr-test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
python3 "$(dirname "$0")/fake_dns_api.py" "$token" "$t/port" 2>"$t/fake.log" &
pid=$!
i=0
while [ ! -s "$t/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$t/port" ] || bail "the fake API did not start: $(cat "$t/fake.log")"
base=http://127.0.0.1:$(cat "$t/port")

umask 077
printf '%s\n' "$token" > "$t/token"
printf 'not-the-token\n' > "$t/badtoken"
umask 022

# curl, as the hooks see it: records its argument vector, then runs.
mkdir "$t/bin"
cat > "$t/bin/curl" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >> "$t/curl-argv"
exec $(command -v curl) "\$@"
EOF
chmod 755 "$t/bin/curl"

owner=_25._tcp.mx1.example.org
r1="3 1 1 $(printf '%064d' 1)"
r2="3 1 1 $(printf '%064d' 2)"
r3="3 1 1 $(printf '%064d' 3)"

# Runs a hook as daneroll's exec publisher would: fixed environment.
out=""
hook() { # expected-status hook args...
	want=$1
	shift
	out=$(env -i PATH="$t/bin:/usr/sbin:/usr/bin:/sbin:/bin" LANG=C \
		DANEROLL_PUBLISHER=test "$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want" ]
}
state() { curl -s "$base/_state"; }
fail_next() { curl -s -X POST -d "{\"status\": $1}" "$base/_fail" >/dev/null; }
run() { # name expected-status hook args...
	n=$1
	shift
	if hook "$@"; then ok "$n"; else not_ok "$n" "exit $rc: $out"; fi
}
jqcheck() { # name jq-filter (must print true on the state)
	if [ "$(state | jq "$2")" = true ]; then ok "$1"; else
		not_ok "$1" "$(state | jq -c '.desec, .cloudflare')"; fi
}

# ---- deSEC ----
D="$hooks/desec -a $base/desec/api/v1 -t $t/token"
# shellcheck disable=SC2086
run "desec: add two records (domain found by owns_qname)" 0 $D replace $owner 3600 "$r1" "$r2"
jqcheck "desec: the RRset holds the two records" \
	".desec[\"example.org/_25._tcp.mx1/TLSA\"] == {ttl: 3600, records: [\"$r1\", \"$r2\"]}"
jqcheck "desec: asked for the domain, then one bulk PATCH" \
	'[.log[] | .method + " " + (.path | sub("\\?.*"; ""))] == ["GET /desec/api/v1/domains/", "PATCH /desec/api/v1/domains/example.org/rrsets/"]'
# shellcheck disable=SC2086
run "desec: replace, domain given" 0 $D -d example.org replace $owner 7200 "$r3"
jqcheck "desec: the RRset was replaced" \
	".desec[\"example.org/_25._tcp.mx1/TLSA\"] == {ttl: 7200, records: [\"$r3\"]}"
# shellcheck disable=SC2086
run "desec: TTL under minimum_ttl is a permanent failure" 1 $D replace $owner 300 "$r1"
case $out in
*"greater than or equal to 3600"*) ok "desec: deSEC's error text is shown" ;;
*) not_ok "desec: deSEC's error text is shown" "$out" ;;
esac
# shellcheck disable=SC2086
run "desec: no records deletes the RRset" 0 $D replace $owner 3600
jqcheck "desec: the RRset is gone" '.desec == {}'
run "desec: wrong token is a permanent failure" 1 \
	"$hooks/desec" -a "$base/desec/api/v1" -t "$t/badtoken" -d example.org replace $owner 3600 "$r1"
fail_next 429
# shellcheck disable=SC2086
run "desec: HTTP 429 is a temporary failure" 75 $D -d example.org replace $owner 3600 "$r1"
fail_next 503
# shellcheck disable=SC2086
run "desec: HTTP 503 is a temporary failure" 75 $D -d example.org replace $owner 3600 "$r1"
# shellcheck disable=SC2086
run "desec: owner outside the domain" 1 $D -d example.net replace $owner 3600 "$r1"
run "desec: unreachable API is a temporary failure" 75 \
	"$hooks/desec" -a "http://127.0.0.1:1/api/v1" -t "$t/token" -d example.org replace $owner 3600 "$r1"
chmod 644 "$t/token"
# shellcheck disable=SC2086
run "desec: token file readable by others is refused" 1 $D -d example.org replace $owner 3600 "$r1"
chmod 600 "$t/token"
# shellcheck disable=SC2086
run "desec: bad record argument" 64 $D replace $owner 3600 "3 1 1 xyz"
# shellcheck disable=SC2086
run "desec: bad owner argument" 64 $D replace "mx1.example.org;rm" 3600 "$r1"

# ---- Cloudflare ----
C="$hooks/cloudflare -a $base/cf/client/v4 -t $t/token"
# shellcheck disable=SC2086
run "cloudflare: add two records (zone found walking up)" 0 $C replace $owner 3600 "$r1" "$r2"
jqcheck "cloudflare: the zone holds the two records" \
	"[.cloudflare[] | select(.name == \"$owner\") | \"\(.data.usage) \(.data.selector) \(.data.matching_type) \(.data.certificate) \(.ttl)\"] | sort == [\"$r1 3600\", \"$r2 3600\"]"
n0=$(state | jq '[.log[] | select(.method == "POST")] | length')
# shellcheck disable=SC2086
run "cloudflare: the same again" 0 $C -z example.org replace $owner 3600 "$r1" "$r2"
jqcheck "cloudflare: nothing sent when nothing changes" \
	"[.log[] | select(.method == \"POST\")] | length == $n0"
# shellcheck disable=SC2086
run "cloudflare: replace one record, new TTL" 0 $C -z example.org replace $owner 1800 "$r2" "$r3"
jqcheck "cloudflare: one batch with a delete, a patch and a post" \
	'[.log[] | select(.method == "POST")] | last | .body | [(.deletes | length), (.patches | length), (.posts | length)] == [1, 1, 1]'
jqcheck "cloudflare: the zone holds the new RRset" \
	"[.cloudflare[] | \"\(.data.usage) \(.data.selector) \(.data.matching_type) \(.data.certificate) \(.ttl)\"] | sort == [\"$r2 1800\", \"$r3 1800\"]"
# shellcheck disable=SC2086
run "cloudflare: no records deletes them all" 0 $C -z example.org replace $owner 1800
jqcheck "cloudflare: the zone holds no TLSA records" '.cloudflare == []'
run "cloudflare: wrong token is a permanent failure" 1 \
	"$hooks/cloudflare" -a "$base/cf/client/v4" -t "$t/badtoken" -z example.org replace $owner 3600 "$r1"
case $out in
*"Authentication error"*) ok "cloudflare: Cloudflare's error text is shown" ;;
*) not_ok "cloudflare: Cloudflare's error text is shown" "$out" ;;
esac
fail_next 429
# shellcheck disable=SC2086
run "cloudflare: HTTP 429 is a temporary failure" 75 $C -z example.org replace $owner 3600 "$r1"
# shellcheck disable=SC2086
run "cloudflare: unknown zone is a permanent failure" 1 $C -z example.net replace mx1.example.net 3600 "$r1"

# ---- the token never on a command line ----
if [ -s "$t/curl-argv" ] && ! grep -qF "$token" "$t/curl-argv"; then
	ok "the API token was never on curl's command line"
else
	not_ok "the API token was never on curl's command line" "$(cat "$t/curl-argv" 2>/dev/null)"
fi
if grep -q -- '-K -' "$t/curl-argv"; then ok "curl read its header from stdin"; else
	not_ok "curl read its header from stdin"; fi

summary
