#!/usr/bin/env python3
"""
delayline - a bench helper: a true network delay between two network
namespaces.

The kernel here has no netem qdisc. So this process creates a TUN device
in each namespace and writes every IP packet read from one to the other
DELAY_MS later. Unlike a TCP forwarder, everything crosses the line the
way it crosses a real network: TCP handshakes, DNS over UDP and TCP,
TLS, in both directions; a round trip costs 2 x DELAY_MS.

  delayline.py NS_A TUN_A NS_B TUN_B DELAY_MS [EXEMPT_ADDR...]

The devices are the process's own and vanish with it; the caller sets
them up and routes through them once they exist. Packets from or to an
EXEMPT_ADDR cross at once (a resolver next to the client). Each
direction keeps its order. Runs until killed. Not part of daneroll.
"""
import ctypes
import fcntl
import heapq
import ipaddress
import os
import select
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

libc = ctypes.CDLL(None, use_errno=True)


def enter(fd, what):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), what)


def open_tun(ns, name):
    """A TUN device NAME created in namespace NS; its descriptor."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/var/run/netns/" + ns, os.O_RDONLY)
    try:
        enter(target, ns)
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF,
                    struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    finally:
        enter(home, "the original namespace")
        os.close(home)
        os.close(target)
    os.set_blocking(fd, False)
    return fd


def ends(pkt):
    """The source and destination addresses of an IP packet, as bytes."""
    if len(pkt) >= 20 and pkt[0] >> 4 == 4:
        return pkt[12:16], pkt[16:20]
    if len(pkt) >= 40 and pkt[0] >> 4 == 6:
        return pkt[8:24], pkt[24:40]
    return b"", b""


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    ns_a, tun_a, ns_b, tun_b, delay = sys.argv[1:6]
    delay = float(delay) / 1000.0
    exempt = {ipaddress.ip_address(a).packed for a in sys.argv[6:]}
    a = open_tun(ns_a, tun_a)
    b = open_tun(ns_b, tun_b)
    other = {a: b, b: a}
    line = []       # (due, sequence, fd to write, packet)
    seq = 0
    while True:
        wait = None
        if line:
            wait = max(0.0, line[0][0] - time.monotonic())
        ready, _, _ = select.select([a, b], [], [], wait)
        now = time.monotonic()
        for fd in ready:
            while True:
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                src, dst = ends(pkt)
                due = now if src in exempt or dst in exempt else now + delay
                heapq.heappush(line, (due, seq, other[fd], pkt))
                seq += 1
        now = time.monotonic()
        while line and line[0][0] <= now:
            _, _, fd, pkt = heapq.heappop(line)
            try:
                os.write(fd, pkt)
            except OSError:
                pass    # a full queue drops, as a network would


if __name__ == "__main__":
    main()
