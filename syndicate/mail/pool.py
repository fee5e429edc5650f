"""A pool of persistent SMTP connections (aiosmtplib) behind the ``Sender`` interface.

Each connection runs one transaction at a time and is kept open for the next
message. After a refused transaction it sends RSET, so the next message starts
from a clean envelope instead of meeting ``503 sender already specified``. A
connection the server closed, or one that timed out (its state is then
unknown), is dropped and opened again on the next send.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import aiosmtplib
from aiosmtplib import SMTPException, SMTPHeloError, SMTPResponseException

from syndicate.addresses import BadAddress, smtp_form
from syndicate.mail import wire
from syndicate.mail.bucket import TokenBucket
from syndicate.mail.replies import CONNECT, DATA, MAIL, RCPT, classify, describe
from syndicate.mail.sender import Envelope, Gate, PermanentFailure, TemporaryFailure


class _Stale(Exception):
    """A kept-open connection turned out to be closed before anything was sent."""


class _Connection:
    def __init__(self, pool: SmtpPool) -> None:
        self.pool = pool
        self.client: aiosmtplib.SMTP | None = None

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.is_connected

    async def open(self) -> aiosmtplib.SMTP:
        pool = self.pool
        client = aiosmtplib.SMTP(
            hostname=pool.host,
            port=pool.port,
            timeout=pool.timeout,
            use_tls=pool.tls,
            start_tls=pool.starttls,
            username=pool.username or None,
            password=pool.password if pool.username else None,
            local_hostname=await pool.local_hostname(),
            cert_bundle=pool.ca_file or None,
        )
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:
                # Extensions (SMTPUTF8, SIZE) are known only once EHLO is answered.
                try:
                    await client.ehlo()
                except SMTPHeloError:
                    await client.helo()
        except SMTPResponseException as exc:
            client.close()
            raise classify(CONNECT, exc.code, exc.message) from None
        except (SMTPException, OSError) as exc:
            client.close()
            raise TemporaryFailure(f"{CONNECT}: {pool.host}:{pool.port}: {_reason(exc)}") from None
        pool.opened += 1
        self.client = client
        return client

    def drop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    async def quit(self) -> None:
        if self.connected and self.client is not None:
            with contextlib.suppress(SMTPException, OSError):
                await self.client.quit(timeout=min(self.pool.timeout, 5.0))
        self.drop()

    async def send(self, envelope: Envelope, before_data: Gate | None) -> str:
        if self.connected and self.client is not None:
            try:
                return await self._transaction(self.client, envelope, before_data, reused=True)
            except _Stale:
                self.drop()
        return await self._transaction(await self.open(), envelope, before_data, reused=False)

    async def _transaction(
        self,
        client: aiosmtplib.SMTP,
        envelope: Envelope,
        before_data: Gate | None,
        reused: bool,
    ) -> str:
        try:  # domains as A-labels: only a non-ASCII local part needs SMTPUTF8
            sender, recipient = smtp_form(envelope.sender), smtp_form(envelope.recipient)
        except BadAddress as exc:
            raise PermanentFailure(f"{RCPT}: address refused: {exc.reason}", bounce=False) from None
        options: list[str] = []
        encoding = "ascii"
        if not (sender.isascii() and recipient.isascii()):
            if not client.supports_extension("smtputf8"):
                raise PermanentFailure(
                    f"{RCPT}: the part before @ is not ASCII and the relay does not offer "
                    "SMTPUTF8 (RFC 6531), so it cannot take this address",
                    bounce=False,
                )
            options.append("SMTPUTF8")
            encoding = "utf-8"
        if client.supports_extension("size"):
            options.append(f"SIZE={len(envelope.message)}")
        stage = MAIL
        try:
            try:
                await wire.mail(client, sender, options, encoding)
            except SMTPResponseException as exc:
                if reused and exc.code == 421:
                    raise _Stale from None
                raise
            except (SMTPException, OSError):
                if reused:
                    raise _Stale from None
                raise
            stage = RCPT
            await wire.rcpt(client, recipient, encoding)
            if before_data is not None:
                try:
                    await before_data()
                except BaseException:
                    await self._reset(client)
                    raise
            stage = DATA
            response = await wire.data(client, envelope.message, envelope.crlf_only)
        except _Stale:
            raise
        except SMTPResponseException as exc:
            if exc.code == 421:  # the server is closing this connection
                self.drop()
            else:
                await self._reset(client)
            raise classify(stage, exc.code, exc.message) from None
        except (SMTPException, OSError) as exc:
            # Disconnected or timed out: the connection's state is unknown, start afresh.
            self.drop()
            raise TemporaryFailure(f"{stage}: {_reason(exc)}") from None
        return describe(response.code, response.message)

    async def _reset(self, client: aiosmtplib.SMTP) -> None:
        try:
            await client.rset()
        except (SMTPException, OSError):
            self.drop()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out ({exc})" if str(exc) else "timed out"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


class SmtpPool:
    """Up to ``connections`` transactions at once, each on its own kept-open connection,
    all drawing from one ``rate_per_second`` token bucket. Use it from one event loop."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        connections: int = 4,
        rate_per_second: float = 0.0,
        timeout: float = 30.0,
        starttls: bool = False,
        tls: bool = False,
        username: str = "",
        password: str = "",
        ca_file: str = "",
        helo_name: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.connections = connections
        self.timeout = timeout
        self.starttls = starttls
        self.tls = tls
        self.username = username
        self.password = password
        self.ca_file = ca_file
        self.bucket = TokenBucket(rate_per_second)
        self.opened = 0  # connections made so far (reconnects included)
        self._helo_name = helo_name
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None

    async def local_hostname(self) -> str:
        if self._helo_name is None:
            # getfqdn may ask DNS: once per pool, off the event loop.
            self._helo_name = await asyncio.to_thread(socket.getfqdn)
        return self._helo_name

    async def send(self, envelope: Envelope, before_data: Gate | None = None) -> str:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.connections)
        async with self._slots:
            await self.bucket.take()
            connection = self._idle.pop() if self._idle else _Connection(self)
            try:
                return await connection.send(envelope, before_data)
            finally:
                self._idle.append(connection)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(connection.quit() for connection in idle))
