#!/usr/bin/env python3
"""A DNS server for tests/integration/bounds.sh: a validating resolver and
the authoritative server of example.org in one, plus two hostile owners no
real server can be made to behave like.

    fake_hostile_dns.py RRDIR ADDR [ADDR ...]

Listens on port 53 of every ADDR, UDP and TCP. Every answer has AA, RA and
AD set (it speaks as the zone's server and as a resolver that validated
it; the zone is not really signed). ns.example.org is the first ADDR.
Records, read at each query:

  RRDIR/OWNER      the TLSA RRset of OWNER: "U S M HEX" lines (what the
                   exec publisher hook of the test writes)
  RRDIR/NAME.a     the A records of NAME, one address per line

The zone wide.example.org, delegated to the same server, has 40 NS names
(ns1 ... ns40.wide.example.org, all at the first ADDR): more than daneroll
observes.

Hostile TLSA owners (any owner name with such a label):

  "big"   over UDP a truncated (TC) empty answer; over TCP a 65,000-octet
          answer holding over a thousand TLSA records
  "slow"  over UDP TC; over TCP the length prefix and then one octet of
          the answer a second, for as long as the client listens

Stops on SIGTERM. Logs one line per TCP connection to stderr.
"""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_auth_dns import rname, rr, tlsa_file_rrs, wname  # noqa: E402
from hostile_sent import Sent  # noqa: E402

ZONE = "example.org"
TTL = 60
FLAGS = 0x8000 | 0x0400 | 0x0080 | 0x0020      # QR AA RA AD
TC = 0x0200
BIG_LIMIT = 65000
WIDE = "wide." + ZONE
WIDE_NS = 40


def soa(zone=ZONE):
    return rr(zone, 6, wname("ns." + zone) + wname("hostmaster." + zone) +
              struct.pack("!IIIII", 2026112801, 3600, 600, 864000, TTL))


def zone_of(qn):
    """example.org, or the delegated WIDE zone at and below it."""
    return WIDE if qn == WIDE or qn.endswith("." + WIDE) else ZONE


def nameservers(zone):
    if zone == WIDE:
        return ["ns%d.%s" % (i, WIDE) for i in range(1, WIDE_NS + 1)]
    return ["ns." + zone]


def header(qid, qflags, rcode, an, ns, extra=0):
    return struct.pack("!HHHHHH", qid, FLAGS | (qflags & 0x0110) | extra |
                       rcode, 1, an, ns, 0)


def parse(q):
    qid, qflags = struct.unpack("!HH", q[:4])
    qname, off = rname(q, 12)
    qtype, = struct.unpack("!H", q[off:off + 2])
    return qid, qflags, qname.lower().strip("."), qtype, q[12:off + 4]


def hostile(q):
    """"big", "slow" or None for a TLSA query at a hostile owner."""
    _, _, qn, qtype, _ = parse(q)
    labels = qn.split(".")
    if qtype != 52:
        return None
    return "big" if "big" in labels else "slow" if "slow" in labels else None


def big_answer(q):
    """Over a thousand "3 1 1" records, compressed owner, under 65,000."""
    qid, qflags, _, _, question = parse(q)
    rrs = []
    size = 12 + len(question)
    i = 0
    while True:
        rd = bytes([3, 1, 1]) + i.to_bytes(4, "big") * 8
        one = b"\xc0\x0c" + struct.pack("!HHIH", 52, 1, TTL, len(rd)) + rd
        if size + len(one) > BIG_LIMIT:
            break
        rrs.append(one)
        size += len(one)
        i += 1
    return header(qid, qflags, 0, len(rrs), 0) + question + b"".join(rrs)


def answer(q, rrdir, ns_addr):
    qid, qflags, qn, qtype, question = parse(q)
    an, ns, rcode = [], [], 0
    if (qflags >> 11) & 15 != 0:
        rcode = 4                                  # NOTIMP
    elif qn != ZONE and not qn.endswith("." + ZONE):
        rcode = 5                                  # REFUSED
    elif qn == zone_of(qn) and qtype == 6:
        an.append(soa(qn))
    elif qn == zone_of(qn) and qtype == 2:
        for n in nameservers(qn):
            an.append(rr(qn, 2, wname(n)))
    elif qn in nameservers(zone_of(qn)) and qtype == 1:
        an.append(rr(qn, 1, socket.inet_aton(ns_addr)))
    elif qtype == 1 and os.path.exists(os.path.join(rrdir, qn + ".a")):
        with open(os.path.join(rrdir, qn + ".a")) as f:
            for line in f:
                if line.strip():
                    an.append(rr(qn, 1, socket.inet_aton(line.strip())))
    elif qtype == 52:
        an += tlsa_file_rrs(rrdir, qn)
    if rcode == 0 and not an:
        ns.append(soa(zone_of(qn)))
    return (header(qid, qflags, rcode, len(an), len(ns)) + question +
            b"".join(an) + b"".join(ns))


def serve_udp(sock, rrdir, ns_addr):
    while True:
        q, peer = sock.recvfrom(4096)
        try:
            if hostile(q):
                qid, qflags, _, _, question = parse(q)
                sock.sendto(header(qid, qflags, 0, 0, 0, TC) + question, peer)
            else:
                sock.sendto(answer(q, rrdir, ns_addr), peer)
        except (IndexError, struct.error, ValueError, UnicodeError):
            pass


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def serve_tcp_conn(conn, rrdir, ns_addr):
    sent = Sent("tcp normal")
    what = "normal"
    try:
        n, = struct.unpack("!H", read_exact(conn, 2))
        q = read_exact(conn, n)
        what = hostile(q) or "normal"
        sent.what = "tcp " + what
        if what == "big":
            a = big_answer(q)
        else:
            a = answer(q, rrdir, ns_addr)
        msg = struct.pack("!H", len(a)) + a
        if what == "slow":
            # The length prefix at once, then the answer octet by octet.
            conn.sendall(msg[:2])
            sent.n = 2
            for i in range(2, len(msg)):
                time.sleep(1)
                conn.sendall(msg[i:i + 1])
                sent.n += 1
        else:
            conn.sendall(msg)
            sent.n = len(msg)
    except (OSError, ConnectionError, IndexError, struct.error, ValueError):
        pass
    finally:
        conn.close()
        print(sent, file=sys.stderr, flush=True)


def serve_tcp(sock, rrdir, ns_addr):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn, rrdir, ns_addr),
                         daemon=True).start()


def main():
    rrdir, addrs = sys.argv[1], sys.argv[2:]
    threads = []
    for a in addrs:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((a, 53))
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((a, 53))
        t.listen(16)
        threads.append(threading.Thread(target=serve_udp,
                                        args=(u, rrdir, addrs[0]),
                                        daemon=True))
        threads.append(threading.Thread(target=serve_tcp,
                                        args=(t, rrdir, addrs[0]),
                                        daemon=True))
    for t in threads:
        t.start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
