"""Daily digests: select each subscriber's new articles, render them, queue the message."""

from syndicate.digest.confirmation import ConfirmationRenderer, build_confirmation_message
from syndicate.digest.render import DigestRenderer, RenderedMessage
from syndicate.digest.selection import Edition, select_edition, web_window

__all__ = [
    "ConfirmationRenderer",
    "DigestRenderer",
    "Edition",
    "RenderedMessage",
    "build_confirmation_message",
    "select_edition",
    "web_window",
]
