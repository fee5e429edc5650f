"""Rendering pages from templates/web/ and the CSRF token their forms carry.

An operator's ``[server] templates_dir`` comes first, so a file there with a
built-in page's name replaces it; everything else falls through to the built-ins.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import partial
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse

from syndicate import resources
from syndicate.config import Settings
from syndicate.web.i18n import LANGUAGE_NAMES, translate

TEMPLATES = resources.template_folder(resources.WEB)
CSRF_COOKIE = "syndicate_csrf"
CSRF_FIELD = "csrf_token"
_NONCE = re.compile(r"^[0-9a-f]{32}$")


def environment(templates_dir: str = "") -> Environment:
    loaders: list[BaseLoader] = [FileSystemLoader(templates_dir)] if templates_dir else []
    loaders.append(FileSystemLoader(str(TEMPLATES)))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _csrf_value(secret: str, nonce: str) -> str:
    return hmac.new(secret.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(request: Request, secret: str, submitted: str) -> bool:
    """Double-submit check: the form field must be the signature of this browser's cookie."""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if not _NONCE.match(nonce) or not submitted:
        return False
    return hmac.compare_digest(submitted.encode(), _csrf_value(secret, nonce).encode())


class Pages:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env = environment(settings.server.templates_dir)

    def render(
        self,
        request: Request,
        name: str,
        lang: str,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        secret = self.settings.secret.get_secret_value()
        nonce = request.cookies.get(CSRF_COOKIE, "")
        fresh = not _NONCE.match(nonce)
        if fresh:
            nonce = secrets.token_hex(16)
        html = self.env.get_template(name).render(
            t=partial(translate, lang),
            lang=lang,
            languages=LANGUAGE_NAMES,
            site=self.settings.site,
            sections=self.settings.sections,
            csrf_field=CSRF_FIELD,
            csrf_token=_csrf_value(secret, nonce),
            **context,
        )
        response = HTMLResponse(
            html,
            status_code=status,
            headers={
                "cache-control": "no-store",
                "content-language": lang,
                "x-content-type-options": "nosniff",
                "referrer-policy": "no-referrer",
                "x-frame-options": "DENY",
                "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
                "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            },
        )
        if fresh:
            response.set_cookie(
                CSRF_COOKIE,
                nonce,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
            )
        return response
