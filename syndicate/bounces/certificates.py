"""SNS signing certificates, fetched over https once and kept (they change rarely).

The fetch is a parameter: the service uses ``fetch_https``; tests hand in one
that returns a certificate they made, and the same verification code runs.
"""

from __future__ import annotations

import ssl
import threading
import urllib.request
from collections.abc import Callable

from cryptography import x509

from syndicate.bounces.providers import Refused
from syndicate.bounces.providers.ses import amazon_url

Fetch = Callable[[str], bytes]
MAX_BYTES = 64 * 1024


def fetch_https(url: str) -> bytes:
    """GET an amazonaws.com https URL with the system's trust store, 10 s at most."""
    amazon_url(url, "the URL")
    context = ssl.create_default_context()
    with urllib.request.urlopen(url, timeout=10, context=context) as answer:  # noqa: S310
        return bytes(answer.read(MAX_BYTES))


class CertificateCache:
    def __init__(self, fetch: Fetch = fetch_https, size: int = 32) -> None:
        self.fetch = fetch
        self.size = size
        self._kept: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str) -> x509.Certificate:
        with self._lock:
            if url in self._kept:
                return self._kept[url]
        amazon_url(url, "SigningCertURL")
        try:
            certificate = x509.load_pem_x509_certificate(self.fetch(url))
        except (OSError, ValueError) as exc:
            raise Refused(403, f"cannot get the signing certificate: {exc}") from None
        with self._lock:
            if len(self._kept) >= self.size:
                self._kept.pop(next(iter(self._kept)))
            self._kept[url] = certificate
        return certificate
