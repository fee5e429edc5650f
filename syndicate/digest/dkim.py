"""DKIM: the key the ``[digest] dkim_*`` keys name, read and checked once per run, and the
signature every outgoing message gets from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from syndicate.config import Settings
from syndicate.errors import InputError

# Signed when present: what a receiver shows, threads or acts on (one-click unsubscribe).
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
)

_KEYS = "[digest] dkim_selector, dkim_domain, dkim_key_file"


@dataclass(frozen=True)
class DkimSigner:
    selector: str
    domain: str
    key: bytes  # PEM, already read and parsed once

    def sign(self, message: bytes) -> bytes:
        """``message`` with a DKIM-Signature header in front of it."""
        import dkim

        lowered = message.lower()
        signature = dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.key,
            include_headers=[name for name in SIGNED_HEADERS if name + b":" in lowered],
            linesep=b"\r\n",
        )
        return signature + message


def load_signer(settings: Settings) -> DkimSigner | None:
    """The signer the config asks for; None when DKIM is off (all three keys empty).

    Raises InputError naming the key when only some are set, the file cannot be
    read, or it holds no RSA private key, so a run stops before its first message.
    """
    digest = settings.digest
    given = [digest.dkim_selector, digest.dkim_domain, digest.dkim_key_file]
    if not any(given):
        return None
    if not all(given):
        raise InputError(f"{_KEYS}: set all three, or none", hint="DKIM needs every one of them")
    try:
        key = Path(digest.dkim_key_file).read_bytes()
    except OSError as exc:
        raise InputError(
            f"[digest] dkim_key_file: cannot read {digest.dkim_key_file}: {exc.strerror}",
            hint="point it at the PEM private key, or leave the dkim_* keys empty",
        ) from None
    import dkim.crypto

    try:
        dkim.crypto.parse_pem_private_key(key)
    except Exception:  # dkimpy raises several kinds for a bad key
        raise InputError(
            f"[digest] dkim_key_file: {digest.dkim_key_file} is not a PEM RSA private key",
            hint="make one with `openssl genrsa -out dkim.pem 2048`",
        ) from None
    return DkimSigner(digest.dkim_selector, digest.dkim_domain, key)


def check_dkim(settings: Settings) -> list[str]:
    """For `config check`: what is wrong with the DKIM keys, one line each (none: fine)."""
    try:
        load_signer(settings)
    except InputError as exc:
        return [str(exc)]
    return []
