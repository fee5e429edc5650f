"""SMTP sinks for the delivery benchmark, each in its own process.

    python -m benchmarks.smtp_sinks aiosmtpd   # the real server used in the tests
    python -m benchmarks.smtp_sinks minimal    # answers and counts bytes, nothing else
    python -m benchmarks.smtp_sinks minimal-report  # the same, printing "N unix-time" each 1000

Each prints its port on the first line of stdout, then serves on 127.0.0.1
until terminated.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any


class MinimalSink(asyncio.Protocol):
    """Just enough SMTP for a client to think its mail was accepted."""

    # "minimal-report": print the wall-clock time of every REPORT_EVERY-th 250 to DATA.
    report = False
    accepted = 0
    REPORT_EVERY = 1000

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = bytearray()
        self.in_data = False
        self.received = 0
        transport.write(b"220 sink ready\r\n")

    def data_received(self, chunk: bytes) -> None:
        self.buffer += chunk
        while self.buffer:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    # Keep a few bytes in case the terminator is split across reads.
                    self.received += max(0, len(self.buffer) - 4)
                    del self.buffer[: max(0, len(self.buffer) - 4)]
                    return
                self.received += end
                del self.buffer[: end + 5]
                self.in_data = False
                self.transport.write(b"250 2.0.0 accepted\r\n")
                if MinimalSink.report:
                    MinimalSink.accepted += 1
                    if MinimalSink.accepted % MinimalSink.REPORT_EVERY == 0:
                        print(f"{MinimalSink.accepted} {time.time():.6f}", flush=True)
                continue
            newline = self.buffer.find(b"\r\n")
            if newline < 0:
                return
            verb = bytes(self.buffer[:4]).upper()
            del self.buffer[: newline + 2]
            if verb == b"EHLO":
                self.transport.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                self.in_data = True
                self.buffer[:0] = b"\r\n"  # the terminator may follow at once
                self.transport.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.transport.write(b"221 bye\r\n")
                self.transport.close()
                return
            else:  # HELO, MAIL, RCPT, RSET, NOOP
                self.transport.write(b"250 OK\r\n")


class _Accept:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 2.0.0 accepted"


async def serve(kind: str) -> None:
    loop = asyncio.get_running_loop()
    if kind in ("minimal", "minimal-report"):
        MinimalSink.report = kind == "minimal-report"
        server = await loop.create_server(MinimalSink, "127.0.0.1", 0)
    else:
        from aiosmtpd.smtp import SMTP

        server = await loop.create_server(
            lambda: SMTP(_Accept(), hostname="sink.local", loop=loop), "127.0.0.1", 0
        )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1] if len(sys.argv) > 1 else "minimal"))
