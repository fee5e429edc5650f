"""uvicorn's access log, with secrets in request targets masked (subscriber link tokens)."""

from __future__ import annotations

import logging

from syndicate.redact import LogMask

ACCESS_LOGGER = "uvicorn.access"
_FILTER = LogMask()


def mask_access_log() -> None:
    """Put the mask on uvicorn's access logger (again after a logging config replaced it)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
