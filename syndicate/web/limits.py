"""How much a client may send, and how slowly, before the service stops listening.

uvicorn's httptools protocol keeps a request head in memory however long it gets
and waits for it however long it takes (its ``h11_max_incomplete_event_size`` is
for the h11 protocol only), so ``FeedProtocol`` caps both. Bodies are capped per
route here, before a handler reads, spools or parses anything.
"""

from __future__ import annotations

import asyncio
from typing import Any

HEAD_BYTES = 32 * 1024  # request line and headers together (as nginx's 4 x 8 KiB buffers)
HEAD_FIELDS = 100  # header lines in one request
HEAD_SECONDS = 10.0  # from the connection (or the head's first byte) to the end of the head
KEEP_ALIVE_SECONDS = 5  # an idle kept-alive connection closes (uvicorn's timeout_keep_alive)
LINGER_SECONDS = 2.0  # after a refusal, input is read and dropped this long so the reply is seen

FORM_BYTES = 8 * 1024  # subscribe, unsubscribe and preferences forms (and any other route)
API_BYTES = 1024 * 1024  # one article as JSON
BODY_SECONDS = 30.0  # to receive a whole body once its head has arrived
# Past its cap a body is read on and dropped up to this much, so that a client still
# sending sees the 413 rather than a reset connection; beyond it the connection closes.
DRAIN_BYTES = 16 * 1024 * 1024
DRAIN_IDLE_SECONDS = 0.5  # ... or until nothing arrives for this long

_BODY_LIMITS = {"/api/articles": API_BYTES}


WEBHOOK_BYTES = 4 * 1024 * 1024  # a batch of provider events (SendGrid posts up to thousands)


def body_limit(path: str) -> int:
    if path.startswith("/webhooks/bounces/"):
        return WEBHOOK_BYTES
    return _BODY_LIMITS.get(path, FORM_BYTES)


def _framing(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """Declared Content-Length (None when absent) and whether the body is chunked."""
    length: int | None = None
    chunked = False
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.strip().isdigit() else 0
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


async def _refuse(send: Any, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not wanted: close instead of reading it.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def bounded_body(scope: dict[str, Any], receive: Any, send: Any) -> Any:
    """``receive`` for the app, or None when the request was refused here.

    A request with a body is read whole first (at most its route's limit, within
    ``BODY_SECONDS``) and handed on from memory; one without is passed through.
    """
    declared, chunked = _framing(scope["headers"])
    if not chunked and not declared:
        return receive
    limit = body_limit(scope["path"])
    too_large = f"request body over {limit} bytes\n"
    if declared is not None and declared > limit:
        waiting = any(n == b"expect" and v.lower() == b"100-continue" for n, v in scope["headers"])
        if waiting or declared > limit + DRAIN_BYTES:
            await _refuse(send, 413, too_large)  # before the client sends any of it
            return None
    body = bytearray()
    size = 0
    try:
        async with asyncio.timeout(BODY_SECONDS):
            while True:
                if size <= limit:
                    message = await receive()
                else:  # only dropping now: a client that pauses gets its answer
                    try:
                        message = await asyncio.wait_for(receive(), DRAIN_IDLE_SECONDS)
                    except TimeoutError:
                        break
                if message["type"] != "http.request":
                    return None  # the client went away
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= limit:
                    body += chunk
                elif size > limit + DRAIN_BYTES:
                    break
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        await _refuse(send, 408, f"request body not received within {BODY_SECONDS:.0f} s\n")
        return None
    if size > limit:
        await _refuse(send, 413, too_large)
        return None
    pending = [{"type": "http.request", "body": bytes(body), "more_body": False}]

    async def replay() -> Any:
        return pending.pop() if pending else await receive()

    return replay
