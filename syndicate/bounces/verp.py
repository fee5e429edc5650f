"""The VERP return path: an envelope sender that names the outbox row it was sent for.

``bounces@news.example.org`` becomes ``bounces+<token>@news.example.org``, the token
signed (purpose ``bounce``) so a forged report cannot name somebody else's row.
Pure: the row id, the configured addresses and the secret in, an address out.
"""

from __future__ import annotations

import re

from syndicate.tokens import BadToken, sign_short, verify_short

PURPOSE = "bounce"
_TOKEN = re.compile(r"^[0-9a-z]{1,13}-[a-z2-7]{16}$")


def envelope_sender(row_id: int, from_address: str, return_path: str, secret: str) -> str:
    """MAIL FROM for outbox row ``row_id``: the From address when no return path is set.

    Without a secret no token can be signed: the From address then too (`config check`
    warns), rather than a message that cannot be sent at all.
    """
    if not return_path or not secret:
        return from_address
    local, _, domain = return_path.rpartition("@")
    return f"{local}+{sign_short(secret, PURPOSE, row_id)}@{domain}"


def row_of(address: str, return_path: str, secret: str) -> int | None:
    """The outbox row a bounce address names, or None when it names none (or is forged)."""
    if not return_path or not address:
        return None
    local, _, domain = address.strip().strip("<>").rpartition("@")
    want_local, _, want_domain = return_path.rpartition("@")
    base, plus, token = local.partition("+")
    if not plus or base.lower() != want_local.lower() or domain.lower() != want_domain.lower():
        return None
    token = token.lower()
    if not _TOKEN.match(token):
        return None
    try:
        return verify_short(secret, PURPOSE, token)
    except BadToken:
        return None
