"""Daily digests: select each subscriber's new articles, render them, queue the message."""

from syndicate.digest.render import (
    DigestRenderer,
    RenderedMessage,
    build_confirmation_message,
    render_web_edition,
)
from syndicate.digest.selection import Edition, select_edition, web_window

__all__ = [
    "DigestRenderer",
    "Edition",
    "RenderedMessage",
    "build_confirmation_message",
    "render_web_edition",
    "select_edition",
    "web_window",
]
