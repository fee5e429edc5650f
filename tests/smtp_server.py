"""A real aiosmtpd server on 127.0.0.1 (ephemeral port) whose answers a test can script.

    with SmtpServer() as server:            # or the ``smtp_server`` fixture
        server.on_rcpt = lambda rcpt, seen: "550 5.1.1 no such user" if rcpt == bad else None
        server.on_data = lambda rcpt, seen: Drop() if seen == 1 else None
        ... send to server.host, server.port ...
        server.received          # list of Received (one per accepted message and recipient)

Hooks get the recipient and how many times (1, 2, ...) that recipient reached
this stage, and return None (accept), a reply line such as "451 4.3.0 busy",
``Drop()`` (close the connection without a reply) or ``Delay(seconds)``
(answer late; an acceptance after the client has gone is not counted, as a
real MTA would not deliver it either). ``SmtpServer(listen=False)`` binds the
port but refuses connections until ``listen()``: a relay that is down at first.
``SmtpServer(smtputf8=True)`` offers SMTPUTF8 (RFC 6531) in its EHLO reply.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Received:
    recipient: str
    sender: str
    message_id: str
    data: bytes
    connection: int


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: str | None = None  # the reply after the delay; None accepts


Answer = str | Drop | Delay | None
Hook = Callable[[str, int], Answer]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def _answer(self, protocol: SMTP, hook: Hook | None, stage: str, rcpt: str) -> Answer:
        seen = self.server._count(stage, rcpt)
        answer = hook(rcpt, seen) if hook else None
        if isinstance(answer, Drop):
            if protocol.transport is not None:
                protocol.transport.close()
            return Drop()
        if isinstance(answer, Delay):
            await asyncio.sleep(answer.seconds)
            if protocol.transport is None or protocol.transport.is_closing():
                return Drop()
            return answer.then
        return answer

    async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str, _o: Any):
        answer = await self._answer(server, self.server.on_rcpt, "rcpt", address)
        if isinstance(answer, Drop):
            return "421 closing"
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else ""
        answer = await self._answer(server, self.server.on_data, "data", rcpt)
        if isinstance(answer, Drop):
            return "421 closing"
        if answer:
            return answer
        data = bytes(envelope.content)
        found = MESSAGE_ID.search(data)
        message_id = found.group(1).decode() if found else ""
        with self.server.lock:
            for recipient in envelope.rcpt_tos:
                self.server.received.append(
                    Received(recipient, envelope.mail_from, message_id, data, id(session))
                )
        return "250 2.0.0 OK queued"

    async def handle_RSET(self, server: SMTP, session: Any, envelope: Any) -> str:
        with self.server.lock:
            self.server.resets += 1
        return "250 OK"


class SmtpServer:
    def __init__(
        self,
        listen: bool = True,
        tls_context: ssl.SSLContext | None = None,
        logins: dict[str, str] | None = None,
        smtputf8: bool = False,
    ) -> None:
        self.on_rcpt: Hook | None = None
        self.on_data: Hook | None = None
        self.received: list[Received] = []
        self.resets = 0
        self.connections = 0
        self.logins: list[str] = []
        self.lock = threading.Lock()
        self.host = "127.0.0.1"
        self._tls_context = tls_context
        self._accounts = logins
        self._smtputf8 = smtputf8
        self._seen: Counter[tuple[str, str]] = Counter()
        self._protocols: list[SMTP] = []
        self._loop = asyncio.new_event_loop()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((self.host, 0))
        self.port = self._sock.getsockname()[1]
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        if listen:
            self.listen()

    # -- what tests read ------------------------------------------------------
    def _count(self, stage: str, rcpt: str) -> int:
        with self.lock:
            self._seen[(stage, rcpt)] += 1
            return self._seen[(stage, rcpt)]

    def by_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(item.recipient for item in self.received)

    # -- lifecycle --------------------------------------------------------------
    def _protocol(self) -> SMTP:
        with self.lock:
            self.connections += 1
        kwargs: dict[str, Any] = {}
        if self._accounts is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
        protocol = SMTP(
            _Handler(self),
            hostname="test.smtp.local",
            tls_context=self._tls_context,
            enable_SMTPUTF8=self._smtputf8,
            loop=self._loop,
            **kwargs,
        )
        self._protocols.append(protocol)
        return protocol

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        if isinstance(data, LoginPassword) and self._accounts is not None:
            login, password = data.login.decode(), data.password.decode()
            if self._accounts.get(login) == password:
                with self.lock:
                    self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def listen(self) -> None:
        async def serve() -> None:
            self._server = await self._loop.create_server(self._protocol, sock=self._sock)

        asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)

    def close_clients(self) -> None:
        """Hang up on every connected client (as a relay does after an idle timeout)."""

        def close() -> None:
            for protocol in self._protocols:
                if protocol.transport is not None:
                    protocol.transport.close()

        self._loop.call_soon_threadsafe(close)

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for protocol in self._protocols:
                if protocol.transport is not None:
                    protocol.transport.close()
            await asyncio.sleep(0.05)
            if self._server is not None:
                await self._server.wait_closed()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if self._server is None:
            self._sock.close()
        self._loop.close()

    def __enter__(self) -> SmtpServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def self_signed_tls(folder: Any) -> tuple[ssl.SSLContext, str]:
    """A server TLS context for 127.0.0.1 and the path of its certificate (to trust it).

    Made with the openssl command; callers skip when it is missing.
    """
    import subprocess

    cert, key = folder / "relay.crt", folder / "relay.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, str(cert)
