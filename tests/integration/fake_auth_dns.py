#!/usr/bin/env python3
"""A tiny authoritative DNS server on loopback, for tests that need the
observer to see what an exec publisher published, without BIND or the
test world.

    fake_auth_dns.py RRDIR ADDR:PORT [ADDR:PORT ...]

Serves the unsigned zone example.org. over UDP on every ADDR:PORT given
(one of them as the "resolver", one as the zone's only nameserver
ns.example.org, whose address is the second ADDR). The TLSA RRset of an
owner is the file RRDIR/OWNER (lower case, no trailing dot), one
"U S M HEX" record per line, as the publish hook in secrets.sh writes it.
Every answer has AA set; UPDATE is REFUSED. Stops on SIGTERM."""
import os
import select
import socket
import struct
import sys

ZONE = "example.org"
TTL = 60


def wname(n):
    out = b""
    for label in n.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rname(msg, off):
    labels = []
    while True:
        ln = msg[off]
        if ln == 0:
            return ".".join(labels), off + 1
        labels.append(msg[off + 1:off + 1 + ln].decode("ascii", "replace"))
        off += 1 + ln


def rr(name, rtype, rdata, ttl=TTL):
    return wname(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def tlsa_file_rrs(rrdir, qn):
    """The TLSA RRs of qn from rrdir/qn ("U S M HEX" a line); none if no
    such file."""
    path = os.path.join(rrdir, qn)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [rr(qn, 52, bytes(int(x) for x in p[:3]) + bytes.fromhex(p[3]))
                for p in (line.split() for line in f) if len(p) == 4]


def soa():
    return rr(ZONE, 6, wname("ns." + ZONE) + wname("hostmaster." + ZONE) +
              struct.pack("!IIIII", 2026112801, 3600, 600, 864000, TTL))


def answer(q, rrdir, ns_addr):
    qid, flags = struct.unpack("!HH", q[:4])
    qname, off = rname(q, 12)
    qtype, = struct.unpack("!H", q[off:off + 2])
    question = q[12:off + 4]
    qn = qname.lower().strip(".")
    opcode = (flags >> 11) & 15
    an, ns, rcode = [], [], 0
    if opcode != 0:
        rcode = 5
    elif qn != ZONE and not qn.endswith("." + ZONE):
        rcode = 5
    else:
        if qn == ZONE and qtype == 6:
            an.append(soa())
        elif qn == ZONE and qtype == 2:
            an.append(rr(ZONE, 2, wname("ns." + ZONE)))
        elif qn == "ns." + ZONE and qtype == 1:
            an.append(rr(qn, 1, socket.inet_aton(ns_addr)))
        elif qtype == 52:
            an += tlsa_file_rrs(rrdir, qn)
        if not an:
            ns.append(soa())
    h = struct.pack("!HHHHHH", qid, 0x8000 | (opcode << 11) | 0x0400 |
                    (flags & 0x0100) | rcode, 1, len(an), len(ns), 0)
    return h + question + b"".join(an) + b"".join(ns)


def main():
    rrdir, binds = sys.argv[1], sys.argv[2:]
    socks = []
    for b in binds:
        addr, port = b.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, int(port)))
        socks.append(s)
    ns_addr = binds[1].rsplit(":", 1)[0] if len(binds) > 1 else binds[0].rsplit(":", 1)[0]
    print("ready", flush=True)
    while True:
        r, _, _ = select.select(socks, [], [])
        for s in r:
            q, peer = s.recvfrom(4096)
            try:
                s.sendto(answer(q, rrdir, ns_addr), peer)
            except (IndexError, struct.error, ValueError):
                pass


if __name__ == "__main__":
    main()
