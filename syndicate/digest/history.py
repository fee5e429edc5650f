"""What a batch of readers already got: read once per batch, decided per reader.

Two things from the record of carried articles (``store.carried``) shape an
edition: the articles a reader already got as an alert are not repeated, and the
corrections and withdrawals of articles they got earlier are owed to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection

from syndicate.articles import Article
from syndicate.digest import corrections
from syndicate.digest.corrections import Notice
from syndicate.store import articles as article_store
from syndicate.store import carried
from syndicate.subscribers.received import LastTold


@dataclass
class History:
    already: dict[int, set[int]] = field(default_factory=dict)  # reader -> article ids got
    notices: dict[int, list[Notice]] = field(default_factory=dict)  # reader -> owed notices

    def got(self, subscriber_id: int) -> set[int]:
        return self.already.get(subscriber_id, set())

    def owed(self, subscriber_id: int) -> list[Notice]:
        return self.notices.get(subscriber_id, [])


def load(conn: Connection, subscriber_ids: Sequence[int], candidates: Sequence[Article]) -> History:
    """The history of these readers, for editions drawing on ``candidates``."""
    history = History()
    got: dict[int, set[int]] = defaultdict(set)
    for sid, aid in carried.received(conn, subscriber_ids, [a.id for a in candidates]):
        got[sid].add(aid)
    history.already = dict(got)
    told = carried.last_told(conn, subscriber_ids)
    if told:
        found = {a.id: a for a in article_store.by_ids(conn, {t.article_id for t in told})}
        by_reader: dict[int, list[LastTold]] = defaultdict(list)
        for item in told:
            by_reader[item.subscriber_id].append(item)
        for sid, items in by_reader.items():
            owed = corrections.owed(items, found)
            if owed:
                history.notices[sid] = owed
    return history
