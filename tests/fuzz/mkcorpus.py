#!/usr/bin/env python3
"""Writes the binary seed inputs of tests/fuzz/corpus/ (DNS answers, TSIG
signed responses, PowerDNS answers). Run from the top directory:
    python3 tests/fuzz/mkcorpus.py
The text seeds (configurations, PEM, TLSA, key files) are kept as files."""
import os
import struct

C = "tests/fuzz/corpus"
OWNER = "_25._tcp.mx1.example.org."
ZONE = "example.org."
DATA = bytes.fromhex("0123456789abcdef" * 4)


def name(n):
    out = b""
    for label in n.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(owner, rtype, ttl, rdata, cls=1):
    return name(owner) + struct.pack("!HHIH", rtype, cls, ttl, len(rdata)) + rdata


def soa_rdata(serial=2026112801, minimum=300):
    return (name("ns1." + ZONE) + name("hostmaster." + ZONE) +
            struct.pack("!IIIII", serial, 3600, 600, 864000, minimum))


def rrsig(covered, owner):
    rd = struct.pack("!HBBIIIH", covered, 13, owner.count(".") , 3600,
                     1767225600, 1764547200, 12345) + name(ZONE) + b"\x55" * 64
    return rr(owner, 46, 3600, rd)


def pkt(qname, qtype, flags, rcode, an=(), ns=(), ar=(), opt=True):
    ar = list(ar)
    if opt:
        ar.append(b"\0" + struct.pack("!HHIH", 41, 1232, 0x8000, 0))
    h = struct.pack("!HHHHHH", 0x1234, 0x8000 | flags | rcode, 1, len(an),
                    len(ns), len(ar))
    q = name(qname) + struct.pack("!HH", qtype, 1)
    return h + q + b"".join(an) + b"".join(ns) + b"".join(ar)


AA, TC = 0x0400, 0x0200
tlsa = rr(OWNER, 52, 3600, bytes([3, 1, 1]) + DATA)
tlsa2 = rr(OWNER, 52, 3600, bytes([2, 1, 1]) + DATA[::-1])
soa = rr(ZONE, 6, 3600, soa_rdata())
dns = {
    # first byte: flags (1 zone signed, 2 want the record)
    "match-signed": b"\3" + pkt(OWNER, 52, AA, 0, [tlsa, rrsig(52, OWNER)]),
    "match-unsigned": b"\2" + pkt(OWNER, 52, AA, 0, [tlsa]),
    "stale": b"\3" + pkt(OWNER, 52, AA, 0, [tlsa, tlsa2, rrsig(52, OWNER)]),
    "nodata": b"\1" + pkt(OWNER, 52, AA, 0, [], [soa, rrsig(6, ZONE)]),
    "nxdomain": b"\2" + pkt(OWNER, 52, AA, 3, [], [soa]),
    "refused": b"\2" + pkt(OWNER, 52, 0, 5),
    "servfail": b"\2" + pkt(OWNER, 52, 0, 2),
    "truncated": b"\2" + pkt(OWNER, 52, AA | TC, 0),
    "referral": b"\2" + pkt(OWNER, 52, 0, 0, [],
                           [rr(ZONE, 2, 3600, name("ns1." + ZONE))]),
    "cname": b"\2" + pkt(OWNER, 52, AA, 0,
                        [rr(OWNER, 5, 300, name("tlsa.example.net."))]),
    "soa-answer": b"\0" + pkt(ZONE, 6, AA, 0, [soa, rrsig(6, ZONE)]),
    # a resolver's NS answer with glue (observe_glue)
    "ns-glue": b"\0" + pkt(ZONE, 2, 0x0080, 0,
                          [rr(ZONE, 2, 3600, name("ns1." + ZONE)),
                           rr(ZONE, 2, 3600, name("ns2." + ZONE))], [],
                          [rr("ns1." + ZONE, 1, 3600, bytes([192, 0, 2, 1])),
                           rr("ns2." + ZONE, 28, 3600,
                              bytes.fromhex("20010db8" + "00" * 11 + "02"))]),
    # a compression pointer in the answer's owner name
    "compressed": b"\2" + pkt(OWNER, 52, AA, 0, [b"\xc0\x0c" + struct.pack(
        "!HHIH", 52, 1, 600, 35) + bytes([3, 1, 1]) + DATA]),
}

# TSIG-signed UPDATE responses (MAC not valid: the structure is the seed).
def tsig_rr(alg, mac, error=0, other=b""):
    rd = (name(alg) + struct.pack("!HI", 0, 1764345600)[0:0] +
          (1764345600).to_bytes(6, "big") + struct.pack("!HH", 300, len(mac)) +
          mac + struct.pack("!HHH", 0x1234, error, len(other)) + other)
    return rr("update.example.org.", 250, 0, rd, cls=255)


def upd(rcode, extra):
    h = struct.pack("!HHHHHH", 0x1234, 0x8000 | (5 << 11) | rcode, 1, 0, 0,
                    len(extra))
    return h + name(ZONE) + struct.pack("!HH", 6, 1) + b"".join(extra)


tsig = {
    "noerror": upd(0, [tsig_rr("hmac-sha256.", b"\x11" * 32)]),
    "badsig": upd(9, [tsig_rr("hmac-sha256.", b"", error=16)]),
    "badtime": upd(9, [tsig_rr("hmac-sha256.", b"\x22" * 32, error=18,
                               other=(1764349999).to_bytes(6, "big"))]),
    "unsigned": upd(0, []),
    "sha512-odd": upd(0, [tsig_rr("hmac-sha512.", b"\x33" * 64)]) + b"\0",
}

pdns = {
    "ok-204": struct.pack("!H", 104) + b"",
    "zones-200": struct.pack("!H", 100) +
    b'[{"id":"example.org.","name":"example.org.","kind":"Native"},'
    b'{"id":"sub.example.org.","name":"mx1.example.org."},'
    b'{"id":"=2Fbad","name":"example.net."}]',
    "unauth-401": struct.pack("!H", 301) + b'{"error":"Unauthorized"}',
    "notfound-404": struct.pack("!H", 304) +
    b'{"error":"Could not find domain \'x.\'"}',
    "echo-422": struct.pack("!H", 322) +
    b'{"error":"bad key k3yS3cr3tAPI\\nerror: forged"}',
    "html-500": struct.pack("!H", 400) + b"<html>Internal Server Error\r\n</html>",
    "redirect-302": struct.pack("!H", 202) + b"",
}

for target, seeds in (("fuzz_observe", dns), ("fuzz_tsig_verify", tsig),
                      ("fuzz_pdns", pdns)):
    os.makedirs(os.path.join(C, target), exist_ok=True)
    for k, v in seeds.items():
        with open(os.path.join(C, target, k), "wb") as f:
            f.write(v)
