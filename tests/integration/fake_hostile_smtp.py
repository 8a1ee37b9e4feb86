#!/usr/bin/env python3
"""Hostile SMTP servers for tests/integration/bounds.sh: what no real MTA
can be made to do.

    fake_hostile_smtp.py MODE ADDR PORT [CHAIN KEY]

  banner   "220-" lines, as fast as the client takes them, forever
  trickle  "220-" and then one octet a second, forever
  ehlo     a normal greeting, then a "250-" EHLO reply that never ends
  chain    a normal dialogue up to STARTTLS, then a TLS handshake
           presenting CHAIN (PEM, key KEY): the test makes it megabytes

Serves every connection in a thread until the client goes away, then logs
"MODE: N octets sent in S s" to stderr.
"""
import socket
import ssl
import sys
import threading
import time

from hostile_sent import Sent


def dialogue(conn, f):
    """Reads commands until STARTTLS; answers EHLO with STARTTLS."""
    while True:
        line = f.readline()
        if not line:
            raise ConnectionError("closed")
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            conn.sendall(b"250-mx.example.org\r\n250-PIPELINING\r\n"
                         b"250 STARTTLS\r\n")
        elif cmd == b"STARTTLS":
            conn.sendall(b"220 2.0.0 ready\r\n")
            return
        else:
            conn.sendall(b"502 5.5.2 no\r\n")


def serve(conn, mode, args):
    sent = Sent(mode)

    def flood(line):
        """line, again and again, until the client goes (an exception)."""
        while True:
            conn.sendall(line)
            sent.n += len(line)

    try:
        f = conn.makefile("rb")
        if mode == "banner":
            flood(b"220-" + b"x" * 70 + b"\r\n")
        elif mode == "trickle":
            conn.sendall(b"220-")
            sent.n = 4
            while True:
                time.sleep(1)
                conn.sendall(b"x")
                sent.n += 1
        elif mode == "ehlo":
            conn.sendall(b"220 mx.example.org ESMTP\r\n")
            f.readline()
            conn.sendall(b"250-mx.example.org\r\n")
            flood(b"250-X-ENDLESS " + b"y" * 60 + b"\r\n")
        elif mode == "chain":
            conn.sendall(b"220 mx.example.org ESMTP\r\n")
            dialogue(conn, f)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args[0], args[1])
            tls = ctx.wrap_socket(conn, server_side=True,
                                  do_handshake_on_connect=False)
            try:
                tls.do_handshake()
            except (ssl.SSLError, OSError) as e:
                print("chain: handshake ended: %s" % e, file=sys.stderr,
                      flush=True)
    except (OSError, ConnectionError):
        pass
    finally:
        conn.close()
        print(sent, file=sys.stderr, flush=True)


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, mode, sys.argv[4:]),
                         daemon=True).start()


if __name__ == "__main__":
    main()
