"""Who is asking: the socket's peer, or what trusted reverse proxies say the client was.

X-Forwarded-For is a list each proxy appends its own peer to, so only the entries
added by proxies in ``[server] trusted_proxies`` can be believed: walking from the
right (all header lines together, in order), the first address that is not a
trusted proxy is the client. Anything to its left was written by the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.requests import Request

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(text: str) -> Address | None:
    """An address as proxies write it: bare, or with a port ('[::1]:80', '1.2.3.4:80')."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def key(address: Address) -> str:
    """The rate-limit key: one IPv4 address, or an IPv6 /64 (what one subscriber line gets)."""
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class Clients:
    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.trusted: list[Network] = [
            ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies
        ]

    def _trusted(self, address: Address) -> bool:
        return any(address in network for network in self.trusted)

    def address(self, request: Request) -> str:
        """The client's rate-limit key (see ``key``); the peer's text when it is no IP address."""
        peer_text = request.client.host if request.client else "unknown"
        peer = _parse(peer_text)
        if peer is None:
            return peer_text
        if not self.trusted or not self._trusted(peer):
            return key(peer)
        hops = [
            hop
            for line in request.headers.getlist("x-forwarded-for")
            for hop in line.split(",")
            if hop.strip()
        ]
        client = peer
        for hop in reversed(hops):
            found = _parse(hop)
            if found is None:
                break  # not written by a proxy: the last proxy's peer is all that is known
            client = found
            if not self._trusted(found):
                break
        return key(client)
