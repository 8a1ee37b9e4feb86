#!/usr/bin/env python3
"""delayfwd - a DNS forwarder that adds latency, for benchmarks.

    delayfwd.py UPSTREAM DELAY_MS LISTEN_ADDR...

Listens on port 53 (UDP and TCP) of every LISTEN_ADDR and passes each
query to UPSTREAM:53 after DELAY_MS milliseconds, then relays the answer.
The kernel here has no netem qdisc, so latency is added this way. Only
for test namespaces: it forwards anything to one fixed upstream.
"""
import asyncio
import socket
import sys


class Endpoint(asyncio.DatagramProtocol):
    """A datagram endpoint that keeps its transport, to answer on."""

    transport = None

    def connection_made(self, transport):
        self.transport = transport


class UpstreamUDP(Endpoint):
    """One query to the upstream; the answer goes back to the client."""

    def __init__(self, query, reply):
        self.query = query
        self.reply = reply

    def connection_made(self, transport):
        super().connection_made(transport)
        transport.sendto(self.query)

    def datagram_received(self, data, addr):
        self.reply(data)
        self.transport.close()

    def error_received(self, exc):
        self.transport.close()


class ListenUDP(Endpoint):
    def __init__(self, upstream, delay):
        self.upstream = upstream
        self.delay = delay

    def datagram_received(self, data, addr):
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, lambda: loop.create_task(
            self.forward(data, addr)))

    async def forward(self, data, addr):
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.upstream else socket.AF_INET
        transport, _ = await loop.create_datagram_endpoint(
            lambda: UpstreamUDP(data, lambda r: self.transport.sendto(r, addr)),
            remote_addr=(self.upstream, 53), family=family)
        loop.call_later(5, transport.close)


async def tcp_client(reader, writer, upstream, delay):
    try:
        while True:
            hdr = await reader.readexactly(2)
            msg = await reader.readexactly(int.from_bytes(hdr, "big"))
            await asyncio.sleep(delay)
            ur, uw = await asyncio.open_connection(upstream, 53)
            uw.write(hdr + msg)
            await uw.drain()
            rhdr = await ur.readexactly(2)
            rmsg = await ur.readexactly(int.from_bytes(rhdr, "big"))
            uw.close()
            writer.write(rhdr + rmsg)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    upstream, delay = sys.argv[1], int(sys.argv[2]) / 1000.0
    loop = asyncio.get_running_loop()
    for addr in sys.argv[3:]:
        await loop.create_datagram_endpoint(
            lambda: ListenUDP(upstream, delay), local_addr=(addr, 53))
        await asyncio.start_server(
            lambda r, w: tcp_client(r, w, upstream, delay), addr, 53)
    print("delayfwd: %d listeners, %d ms" % (len(sys.argv) - 3,
                                            int(delay * 1000)), flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
