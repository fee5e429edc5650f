"""uvicorn's access log, with secrets in request targets masked (subscriber link tokens)."""

from __future__ import annotations

import logging

from syndicate import redact

ACCESS_LOGGER = "uvicorn.access"


class MaskTargets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact.target(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = redact.target(record.msg)
        return True


_FILTER = MaskTargets()


def mask_access_log() -> None:
    """Put the mask on uvicorn's access logger (again after a logging config replaced it)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
