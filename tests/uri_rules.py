"""A strict RFC 3986 URI check, and every address the three feeds publish.

Written from the RFC's ABNF on purpose, independently of ``syndicate.uris``:
a test that used the product's own normaliser would only agree with itself.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

import lxml.html

from tests.feed_rules import ATOM, CONTENT, MEDIA, parse

_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
USERINFO = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*")
REG_NAME = re.compile(rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*")
PORT = re.compile(r"[0-9]*")
PATH_ABEMPTY = re.compile(rf"(?:/{_PCHAR}*)*")
PATH_ROOTLESS = re.compile(rf"(?:{_PCHAR}+(?:/{_PCHAR}*)*)?")
QUERY = re.compile(rf"(?:{_PCHAR}|[/?])*")
IPV_FUTURE = re.compile(rf"v[0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+")


def _host_problem(host: str) -> str | None:
    if host.startswith("["):
        inner = host[1:-1] if host.endswith("]") else None
        if inner is None:
            return "unclosed IP literal"
        if IPV_FUTURE.fullmatch(inner):
            return None
        try:
            ipaddress.IPv6Address(inner)
        except ValueError:
            return f"bad IPv6 literal {inner!r}"
        return None
    if not REG_NAME.fullmatch(host):
        return f"host {host!r} holds characters a reg-name may not"
    return None


def uri_problem(value: Any, http: bool = True) -> str | None:
    """Why ``value`` is not an absolute RFC 3986 URI (http(s) with a host when ``http``)."""
    if not isinstance(value, str) or not value:
        return "empty or not a string"
    if not value.isascii():
        return "not ASCII (an IRI, not a URI)"
    scheme, colon, rest = value.partition(":")
    if not colon or not SCHEME.fullmatch(scheme):
        return "no scheme"
    rest, hash_, fragment = rest.partition("#")
    if hash_ and not QUERY.fullmatch(fragment):
        return f"bad fragment {fragment!r}"
    rest, question, query = rest.partition("?")
    if question and not QUERY.fullmatch(query):
        return f"bad query {query!r}"
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        path = slash + path
        userinfo, at, hostport = authority.rpartition("@")
        if at and not USERINFO.fullmatch(userinfo):
            return "bad userinfo"
        if hostport.startswith("["):
            close = hostport.find("]")
            host, port_part = hostport[: close + 1], hostport[close + 1 :]
            if port_part and not (port_part.startswith(":") and PORT.fullmatch(port_part[1:])):
                return "bad port"
        else:
            host, _, port = hostport.partition(":")
            if not PORT.fullmatch(port):
                return f"bad port {port!r}"
        problem = _host_problem(host)
        if problem:
            return problem
        if http and not host:
            return "no host"
        if not PATH_ABEMPTY.fullmatch(path):
            return f"bad path {path!r}"
    else:
        if http:
            return "not a hierarchical http(s) URI"
        if not (PATH_ROOTLESS.fullmatch(rest) or PATH_ABEMPTY.fullmatch(rest)):
            return f"bad path {rest!r}"
    if http and scheme.lower() not in ("http", "https"):
        return f"scheme {scheme!r} is not http(s)"
    return None


def html_links(fragment: str) -> list[str]:
    """The href, src and cite values inside an HTML fragment."""
    if not fragment.strip():
        return []
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return [
        element.get(name)
        for element in root.iter()
        for name in ("href", "src", "cite")
        if isinstance(element.tag, str) and element.get(name) is not None
    ]


def feed_uris(files: dict[str, bytes]) -> list[tuple[str, str, bool]]:
    """(where, value, must be http) for every address published in RSS, Atom and JSON Feed."""
    found: list[tuple[str, str, bool]] = []
    rss = parse(files["rss.xml"])
    for link in rss.iter("link"):
        found.append(("rss link", link.text or "", True))
    for element in rss.iter(f"{ATOM}link"):
        found.append(("rss atom:link", element.get("href") or "", True))
    for guid in rss.iter("guid"):
        if guid.get("isPermaLink") == "true":
            found.append(("rss guid", guid.text or "", True))
    for tag in ("enclosure", f"{MEDIA}content", f"{MEDIA}thumbnail"):
        for element in rss.iter(tag):
            found.append((f"rss {tag}", element.get("url") or "", True))
    for tag in ("description", f"{CONTENT}encoded"):
        for element in rss.find("channel").iter(tag):
            if element.getparent().tag == "item":
                found += [(f"rss {tag} html", v, False) for v in html_links(element.text or "")]
    atom = parse(files["atom.xml"])
    for element in atom.iter(f"{ATOM}link"):
        found.append(("atom link", element.get("href") or "", True))
    for element in atom.iter(f"{ATOM}id"):
        found.append(("atom id", element.text or "", False))
    for tag in (f"{MEDIA}content", f"{MEDIA}thumbnail"):
        for element in atom.iter(tag):
            found.append((f"atom {tag}", element.get("url") or "", True))
    for element in atom.iter(f"{ATOM}content"):
        found += [("atom content html", v, False) for v in html_links(element.text or "")]
    feed = json.loads(files["feed.json"])
    for key in ("home_page_url", "feed_url"):
        found.append((f"json {key}", feed.get(key), True))
    for item in feed["items"]:
        found.append(("json url", item.get("url"), True))
        if "image" in item:
            found.append(("json image", item["image"], True))
        found += [("json content_html", v, False) for v in html_links(item.get("content_html", ""))]
    return found


def uri_problems(files: dict[str, bytes]) -> list[str]:
    problems = []
    for where, value, http in feed_uris(files):
        problem = uri_problem(value, http=http)
        if problem:
            problems.append(f"{where}: {value!r}: {problem}")
    return problems
