#!/usr/bin/env python3
"""A hostile PowerDNS API for tests/integration/bounds.sh: bodies no real
PowerDNS sends.

    fake_hostile_http.py MODE ADDR PORT LOG

  huge     200 with a 200 MiB body (Content-Length set), streamed in
           64 KiB pieces for as long as the client reads
  trickle  200 with a 1,000-octet body, one octet a second

Every request ("METHOD PATH") and, when the client stops, the octets of
body sent are appended to LOG, so that the test can tell that no PATCH
was sent and that the client stopped reading early. Prints "ready" once
it listens.
"""
import http.server
import sys
import time

from hostile_sent import Sent

MODE, ADDR, PORT, LOG = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
HUGE = 200 * 1024 * 1024


def note(text):
    with open(LOG, "a") as f:
        f.write(text + "\n")


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        note("%s %s" % (self.command, self.path))
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        size = HUGE if MODE == "huge" else 1000
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = Sent("body")
        try:
            if MODE == "huge":
                piece = b"[" + b" " * (64 * 1024 - 1)
                while sent.n < size:
                    self.wfile.write(piece)
                    sent.n += len(piece)
                    piece = b" " * (64 * 1024)
            else:
                while sent.n < size:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    sent.n += 1
                    time.sleep(1)
        except OSError:
            pass
        note(str(sent))

    do_GET = do_PATCH = do_PUT = do_POST = answer

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer((ADDR, PORT), H)
print("ready", flush=True)
srv.serve_forever()
