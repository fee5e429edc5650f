"""Corrections and retractions owed to a reader: a pure decision over what they were told.

A reader is told of an article's correction note when the last message that
carried the article to them showed another note (or none), and of a withdrawal
when no message has told them of it yet. Readers who never got the article are
not told: only what the outbox recorded as carried to them counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from syndicate.articles import Article, note_mark
from syndicate.subscribers.received import Carried, LastTold

CORRECTION = "correction"
RETRACTION = "retraction"


@dataclass(frozen=True)
class Notice:
    """A line of an edition's Corrections block."""

    article: Article
    kind: str  # correction | retraction

    @property
    def note(self) -> str:
        return self.article.correction


def owed(told: Iterable[LastTold], articles: Mapping[int, Article]) -> list[Notice]:
    """The notices one reader's next edition must carry, newest article first."""
    notices: list[Notice] = []
    for last in told:
        article = articles.get(last.article_id)
        if article is None:
            continue
        if article.withdrawn:
            if last.role != RETRACTION:
                notices.append(Notice(article, RETRACTION))
        elif article.correction and last.note != note_mark(article.correction):
            notices.append(Notice(article, CORRECTION))
    notices.sort(key=lambda n: (-n.article.sort_time.timestamp(), -n.article.id))
    return notices


def carried(shown: Iterable[Article], notices: Iterable[Notice]) -> list[Carried]:
    """What an edition records as carried: its articles, then its notices."""
    items = [Carried(a.id, "article", note_mark(a.correction)) for a in shown]
    seen = {item.article_id for item in items}
    for notice in notices:
        if notice.article.id not in seen:
            items.append(Carried(notice.article.id, notice.kind, note_mark(notice.note)))
    return items
