"""Telling a WebSub hub that feeds changed (W3C WebSub: a form-encoded publish ping)."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlencode

from syndicate import redact

log = logging.getLogger("syndicate.feeds")
TIMEOUT_SECONDS = 5.0


def notify(hub: str, topics: Iterable[str], timeout: float = TIMEOUT_SECONDS) -> str | None:
    """POST ``hub.mode=publish`` with every changed feed URL; the reason on failure, else None.

    Never raises: a hub that is down must not fail the build (the caller keeps the
    URLs and tries again after the next build).
    """
    urls = sorted(set(topics))
    if not urls:
        return None
    # The PubSubHubbub 0.4 convention hubs accept: one hub.url per changed topic.
    fields = [("hub.mode", "publish")] + [("hub.url", url) for url in urls]
    request = urllib.request.Request(
        hub,
        data=urlencode(fields).encode("ascii"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "syndicate-websub",
        },
        method="POST",
    )
    shown = redact.url(hub)  # reasons are printed: no password from the URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        reason = f"hub {shown} answered {exc.code} {exc.reason}"
    except (OSError, ValueError) as exc:
        reason = f"hub {shown} unreachable: {exc}"
    else:
        if 200 <= status < 300:
            log.info("websub: told %s about %d feed URLs", shown, len(urls))
            return None
        reason = f"hub {shown} answered {status}"
    log.warning("websub: %s; will retry after the next build", reason)
    return reason
