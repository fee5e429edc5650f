"""What a reader received of an article, as plain data (stored by ``store.carried``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Carried:
    """One article in one message: as "article", "alert", "correction" or "retraction"."""

    article_id: int
    role: str
    note: str = ""  # short hash of the correction note the reader saw with it


@dataclass(frozen=True)
class LastTold:
    """What a reader last heard of an article: the role and the note hash of that message."""

    subscriber_id: int
    article_id: int
    role: str
    note: str
