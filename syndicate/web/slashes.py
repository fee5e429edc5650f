"""The one redirect a wrong trailing slash gets, written so that it cannot leave the site.

Starlette's own redirect builds an absolute URL from the request's Host header,
which a client sets to anything. This one is relative to the site's root: a
single leading slash, the path percent-encoded (a backslash, which browsers
read as a slash, too), and the query as it came.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse, Response
from starlette.routing import Match, Router
from starlette.types import Receive, Scope, Send

_SAFE = "/!$&'()*+,;=:@~-._"


def slash_redirect(router: Router, scope: Scope) -> Response | None:
    """A 307 to the path with its trailing slash added or removed, when a route takes that."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return None
    path: str = scope["path"]
    other = "/" + (path[:-1] if path.endswith("/") else path + "/").lstrip("/")
    if other == path:
        return None
    moved = {**scope, "path": other}
    if not any(route.matches(moved)[0] == Match.FULL for route in router.routes):
        return None
    location = quote(other, safe=_SAFE)
    query = scope.get("query_string", b"")
    if query:
        location += "?" + quote(query.decode("latin-1"), safe=_SAFE + "?%")
    return RedirectResponse(location, status_code=307)


def redirect_slashes(router: Router) -> None:
    """Make ``router`` answer a path no route takes with ``slash_redirect``, else as before."""
    router.redirect_slashes = False
    not_found = router.default

    async def default(scope: Scope, receive: Receive, send: Send) -> None:
        redirect = slash_redirect(router, scope)
        if redirect is None:
            await not_found(scope, receive, send)
        else:
            await redirect(scope, receive, send)

    router.default = default
