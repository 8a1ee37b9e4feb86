#!/bin/sh
# Fault: the PowerDNS API answers 5xx. A real PowerDNS cannot be made to,
# so a stand-in answers 503 in its place (the one fake here). daneroll must
# back off (exit 75) naming the server's error, publish nothing and change
# no state; pointed at the real PowerDNS, the same state then publishes.
set -u
. "$(dirname "$0")/testlib"
top=${DANEROLL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${DANEROLL_BIN:-$top/daneroll}
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
	skip "PowerDNS 5xx" "needs root and ip netns"
	summary
	exit 0
fi
NS=drpdns5xx
W=/tmp/daneroll-pdns5xx
D=$(mktemp -d)
stub_pid=
cleanup() {
	[ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null
	bash "$top/tests/world/down.sh" --ns "$NS" --dir "$W" >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT
bash "$top/tests/world/up.sh" --only dns --ns "$NS" --dir "$W" >/dev/null 2>&1 ||
	{ not_ok "world up"; summary; exit 1; }
. "$W/env"

# The stand-in: any request gets 503 and PowerDNS's JSON error shape.
cat >"$D/stub.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        body = b'{"error": "Backend unavailable (test stand-in)"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_PATCH = do_PUT = do_POST = answer
    def log_message(self, *a): pass
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
PY
ip netns exec "$NS" python3 "$D/stub.py" "$PDNS_V4" 8099 &
stub_pid=$!
# Listening, not merely started: on a loaded machine python takes a while.
for _ in $(seq 100); do
	ip netns exec "$NS" bash -c "exec 3<>/dev/tcp/$PDNS_V4/8099" 2>/dev/null && break
	sleep 0.1
done

# A host whose TLSA owner is in the PowerDNS zone, serving a local cert.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$D/k.pem" -out "$D/c.pem" -subj /CN=mx.pdns.example \
	-addext subjectAltName=DNS:mx.pdns.example -days 30 2>/dev/null
cat "$D/k.pem" "$D/c.pem" >"$D/mx-ecdsa-p256.pem"
chmod 600 "$D/mx-ecdsa-p256.pem"
conf() { # api_url
	cat >"$D/d.conf" <<CONF
[global]
state_dir = $D/state
resolver = $RESOLVER_V4
ttl = 5
retry_min = 1s

[publisher pdns]
type = pdns
api_url = $1
api_key_file = $PDNS_API_KEY_FILE
zone = pdns.example

[host mx.pdns.example]
algorithms = ecdsa-p256
combined_file = $D/mx-%a.pem
publisher = pdns
CONF
	chmod 600 "$D/d.conf"
}
dr() { ip netns exec "$NS" "$bin" -c "$D/d.conf" "$@"; }
served() { ip netns exec "$NS" dig +short +norecurse @"$PDNS_V4" _25._tcp.mx.pdns.example TLSA | wc -l; }

conf "http://$PDNS_V4:8099"
out=$(dr run 2>&1); rc=$?
[ $rc -eq 75 ] && ok "API 503: exit 75, try again later" || not_ok "API 503: exit 75" "rc=$rc $out"
echo "$out" | grep -q "Backend unavailable (test stand-in)" &&
	ok "the server's error text is shown" || not_ok "the server's error text is shown" "$out"
echo "$out" | grep -q "retrying in" && ok "backs off" || not_ok "backs off" "$out"
[ "$(served)" -eq 0 ] && ok "nothing published" || not_ok "nothing published"
st=$(dr status --json 2>/dev/null | json_keep status | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["hosts"][0]["slots"][0]; print(s["state"], s["failures"])')
[ "$st" = "publishing 1" ] && ok "state kept, failure counted ($st)" || not_ok "state kept, failure counted" "$st"

# The API is back (the real PowerDNS): the same state publishes.
conf "${PDNS_API_URL%/api/v1}"
sleep 2	# past retry_min
out=$(dr run 2>&1); rc=$?
[ "$(served)" -eq 2 ] && ok "published through the real API once it answers (current + next)" ||
	not_ok "published through the real API once it answers" "rc=$rc $out"
summary
