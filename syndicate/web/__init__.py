"""The HTTP service (Starlette): feeds from memory, subscriber pages, ingest API, health, metrics."""

from syndicate.web.app import create_app

__all__ = ["create_app"]
