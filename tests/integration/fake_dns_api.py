#!/usr/bin/env python3
"""A local stand-in for the deSEC and Cloudflare DNS APIs, for the tests of
hooks/dns/desec and hooks/dns/cloudflare (tests/integration/dns_hooks.sh).

    fake_dns_api.py TOKEN PORTFILE

Listens on 127.0.0.1 (a free port, written to PORTFILE). It implements
only what the hooks use, with the shapes of the providers' documentation:

  deSEC       /desec/api/v1/domains/?owns_qname=Q     GET
              /desec/api/v1/domains/D/rrsets/          PATCH (bulk)
  Cloudflare  /cf/client/v4/zones?name=N               GET
              /cf/client/v4/zones/Z/dns_records?...    GET
              /cf/client/v4/zones/Z/dns_records/batch  POST

and for the test script:

  /_state     GET: {"desec": {...}, "cloudflare": [...], "log": [...]}
  /_fail      POST {"status": N}: the next API request answers N
"""
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = sys.argv[1]
DESEC_DOMAINS = {"example.org": 3600}            # name: minimum_ttl
CF_ZONES = {"example.org": "023e105f4ecef8ad9ca31a8372d0c353"}

lock = threading.Lock()
desec = {}          # "domain/subname/type" -> {"ttl": n, "records": [...]}
cloudflare = []     # {"id", "zone", "name", "type", "ttl", "data"}
log = []
fail = []
next_id = [1]

TLSA_RE = re.compile(r"^[0-3] [01] [0-2] [0-9a-f]+$")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null")

    def handle_any(self, method):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        with lock:
            if url.path == "/_state":
                return self.reply(200, {"desec": desec,
                                        "cloudflare": cloudflare,
                                        "log": log})
            if url.path == "/_fail":
                fail.append(self.body()["status"])
                return self.reply(200, {})
            body = self.body() if method in ("PATCH", "POST") else None
            log.append({"method": method, "path": self.path, "body": body})
            if fail:
                return self.reply(fail.pop(0), {"detail": "injected failure",
                                                "success": False,
                                                "errors": [{"code": 1,
                                                  "message": "injected"}]})
            auth = self.headers.get("Authorization", "")
            if url.path.startswith("/desec/api/v1/"):
                if auth != "Token " + TOKEN:
                    return self.reply(401, {"detail": "Invalid token."})
                return self.desec(method, url.path[len("/desec/api/v1"):],
                                  q, body)
            if url.path.startswith("/cf/client/v4/"):
                if auth != "Bearer " + TOKEN:
                    return self.reply(403, {"success": False, "errors": [
                        {"code": 10000, "message": "Authentication error"}]})
                return self.cf(method, url.path[len("/cf/client/v4"):],
                               q, body)
            return self.reply(404, {"detail": "Not found."})

    def desec(self, method, path, q, body):
        if method == "GET" and path == "/domains/":
            qn = q.get("owns_qname", "")
            hits = [d for d in DESEC_DOMAINS
                    if qn == d or qn.endswith("." + d)]
            return self.reply(200, [{"name": max(hits, key=len)}]
                              if hits else [])
        m = re.fullmatch(r"/domains/([^/]+)/rrsets/", path)
        if method == "PATCH" and m:
            dom = m.group(1)
            if dom not in DESEC_DOMAINS:
                return self.reply(404, {"detail": "Not found."})
            errors = []
            for rr in body:
                e = {}
                if rr.get("type") != "TLSA":
                    e["type"] = ["unexpected"]
                if rr.get("ttl", 0) < DESEC_DOMAINS[dom]:
                    e["ttl"] = ["Ensure this value is greater than or "
                                "equal to %d." % DESEC_DOMAINS[dom]]
                if not all(TLSA_RE.match(r) for r in rr.get("records", [])):
                    e["records"] = ["bad TLSA record"]
                errors.append(e)
            if any(errors):
                return self.reply(400, errors)
            for rr in body:
                key = "%s/%s/%s" % (dom, rr["subname"], rr["type"])
                if rr["records"]:
                    desec[key] = {"ttl": rr["ttl"],
                                  "records": sorted(rr["records"])}
                else:
                    desec.pop(key, None)
            return self.reply(200, body)
        return self.reply(404, {"detail": "Not found."})

    def cf(self, method, path, q, body):
        ok = lambda result: self.reply(200, {"success": True, "errors": [],
                                             "messages": [],
                                             "result": result})
        if method == "GET" and path == "/zones":
            name = q.get("name")
            return ok([{"id": CF_ZONES[name], "name": name}]
                      if name in CF_ZONES else [])
        m = re.fullmatch(r"/zones/([0-9a-f]+)/dns_records(/batch)?", path)
        if not m or m.group(1) not in CF_ZONES.values():
            return self.reply(404, {"success": False, "errors": [
                {"code": 7003, "message": "Could not route"}]})
        zone = m.group(1)
        if method == "GET" and not m.group(2):
            return ok([r for r in cloudflare if r["zone"] == zone and
                       r["type"] == q.get("type") and
                       r["name"] == q.get("name")])
        if method == "POST" and m.group(2):
            ids = {r["id"] for r in cloudflare}
            for d in body.get("deletes", []) + body.get("patches", []):
                if d["id"] not in ids:
                    return self.reply(400, {"success": False, "errors": [
                        {"code": 81044, "message": "Record not found"}]})
            for p in body.get("posts", []):
                d = p.get("data", {})
                if (p.get("type") != "TLSA" or
                        not all(isinstance(d.get(k), int) for k in
                                ("usage", "selector", "matching_type")) or
                        not re.fullmatch(r"[0-9a-f]+",
                                         d.get("certificate", ""))):
                    return self.reply(400, {"success": False, "errors": [
                        {"code": 9005, "message": "bad TLSA data"}]})
            gone = {d["id"] for d in body.get("deletes", [])}
            cloudflare[:] = [r for r in cloudflare if r["id"] not in gone]
            for p in body.get("patches", []):
                for r in cloudflare:
                    if r["id"] == p["id"]:
                        r["ttl"] = p["ttl"]
            for p in body.get("posts", []):
                rid = "%032x" % next_id[0]
                next_id[0] += 1
                cloudflare.append({"id": rid, "zone": zone,
                                   "name": p["name"], "type": "TLSA",
                                   "ttl": p["ttl"], "data": p["data"]})
            return ok({})
        return self.reply(405, {"success": False, "errors": [
            {"code": 10405, "message": "Method not allowed"}]})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
