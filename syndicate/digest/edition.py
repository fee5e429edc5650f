"""Enqueue editions: for each due subscriber, one outbox row per local date.

The outbox row is both the message to send (a reference to the edition body it
shares with every reader of the same content, plus what is personal) and the
record of the window it covered; the next edition starts at this one's ``window_end``. Its key,
unique among digests, is subscriber/edition date: a second enqueue of the same
date is a no-op even when two processes race (see ``store.outbox.enqueue``).

Subscribers are handled in batches; only one batch of messages is ever held in
memory, and each batch is written in one short transaction. A subscriber whose
message cannot be built gets a ``failed`` row with the reason and an empty window
(the next edition covers those articles again); the others go on.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from syndicate import metrics
from syndicate.addresses import BadAddress, mask, smtp_form
from syndicate.articles import Article
from syndicate.clock import Clock
from syndicate.config import Settings
from syndicate.digest import corrections, history, mime
from syndicate.digest.body import Body
from syndicate.digest.dkim import load_signer
from syndicate.digest.render import DigestRenderer
from syndicate.digest.selection import (
    Edition,
    local_date,
    resume_from_pause,
    select_edition,
    window_start,
)
from syndicate.digest.template_errors import TemplateFailed
from syndicate.store import articles, carried
from syndicate.store import outbox as outbox_store
from syndicate.store import subscribers as subscriber_store
from syndicate.store.outbox import NewMessage, digest_key
from syndicate.subscribers.cadence import first_reach, is_edition_day
from syndicate.subscribers.received import Carried
from syndicate.subscribers.records import Subscriber

# Subscribers per read and per insert transaction: rows are small, so large batches.
BATCH = 2000
log = logging.getLogger(__name__)


@dataclass
class EnqueueReport:
    queued: int = 0  # editions with a message waiting for delivery
    skipped: int = 0  # editions recorded with nothing new (no email)
    existing: int = 0  # the subscriber already had an edition for that date
    failed: int = 0  # the message could not be built: recorded failed, with the reason

    def summary(self) -> str:
        text = (
            f"{self.queued} queued, {self.skipped} skipped (nothing new), "
            f"{self.existing} already enqueued"
        )
        if self.failed:
            text += f", {self.failed} failed (see `syndicate status`)"
        return text


def load_candidates(conn: Connection, start: datetime, end: datetime) -> list[Article]:
    """Articles first seen in (start, end] that are still published."""
    return articles.first_seen_between(conn, start, end)


def _batches(engine: Engine, subscriber_ids: list[int] | None) -> Iterator[list[Subscriber]]:
    if subscriber_ids is not None:
        wanted = sorted(set(subscriber_ids))
        for start in range(0, len(wanted), BATCH):
            with engine.connect() as conn:
                found = subscriber_store.active_among(conn, wanted[start : start + BATCH])
            if found:
                yield found
        return
    yield from subscriber_store.active_in_batches(engine.connect, BATCH)


class _Candidates:
    """The articles of the current run, loaded once and widened only when a batch reaches back further."""

    def __init__(self, end: datetime) -> None:
        self.end = end
        self.start: datetime | None = None
        self.items: list[Article] = []
        self.times: list[datetime] = []

    def load(self, conn: Connection, start: datetime) -> None:
        if self.start is None or start < self.start:
            self.items = sorted(load_candidates(conn, start, self.end), key=_first_seen)
            self.times = [a.first_seen_at for a in self.items]
            self.start = start

    def after(self, start: datetime) -> list[Article]:
        """Those first seen after ``start``: a slice, so one reader back from a long
        absence does not make every other reader's selection scan weeks of news."""
        return self.items[bisect.bisect_right(self.times, start) :]


def _first_seen(article: Article) -> datetime:
    return article.first_seen_at


class _Shared:
    """What readers of the same sections, language, window and date share: their edition
    and its body, chosen and rendered for the first of them (bounded)."""

    LIMIT = 4096

    def __init__(self, renderer: DigestRenderer) -> None:
        self.renderer = renderer
        self.found: dict[tuple[object, ...], tuple[Edition, Body | None]] = {}

    def get(
        self,
        subscriber: Subscriber,
        pool: _Candidates,
        previous: datetime | None,
        now: datetime,
        day: date,
        past: history.History,
        resumed: datetime | None = None,
    ) -> tuple[Edition, Body | None]:
        """``resumed``: the first edition after a pause, which starts where it began."""
        # Readers with the same cadence and the same history (alerts got, notices owed)
        # share too; most readers have none.
        already = past.got(subscriber.id)
        notices = past.owed(subscriber.id)
        key = (
            subscriber.sections,
            subscriber.language,
            previous,
            day,
            subscriber.cadence,
            frozenset(already),
            tuple((n.article.id, n.kind, n.note) for n in notices),
            resumed,
        )
        found = self.found.get(key)
        if found is None:
            start = window_start(previous, now, first_reach(subscriber.cadence))
            settings = self.renderer.settings
            edition = select_edition(
                subscriber,
                pool.after(start),
                previous,
                now,
                settings,
                day,
                already=already,
                notices=notices,
            )
            if resumed is not None:
                edition = replace(edition, resumed_from=resumed)
            body = None if edition.is_empty else self.renderer.body(edition, subscriber)
            if len(self.found) >= self.LIMIT:
                self.found.clear()
            found = self.found[key] = (edition, body)
        return found


def outbox_row(
    edition: Edition,
    subscriber: Subscriber,
    renderer: DigestRenderer,
    now: datetime,
    body: Body | None = None,
) -> NewMessage:
    """The row of ``subscriber``'s edition; ``body`` when already rendered for another reader."""
    row = NewMessage(
        kind="digest",
        key=digest_key(subscriber.id, edition.edition_date),
        subscriber_id=subscriber.id,
        recipient=subscriber.email,
        created_at=now,
        edition_date=edition.edition_date,
        window_start=edition.window_start,
        window_end=edition.window_end,
        state="skipped",
    )
    if edition.is_empty:
        return row
    body = body or renderer.body(edition, subscriber)
    # The address goes into the message when it is sent: refused here, it is this
    # row that fails now, with the reason, not a delivery later.
    mime.recipient(smtp_form(subscriber.email))
    return replace(
        row,
        state="queued",
        article_count=len(edition.articles),
        message_id=renderer.message_id(edition, subscriber),
        body_digest=body.digest,
        body=body.content,
        link_key=subscriber.link_key,
        next_attempt_at=now,
    )


def failed_row(
    subscriber: Subscriber, day: date, start: datetime, now: datetime, reason: str
) -> NewMessage:
    """The record of an edition whose message could not be built: covering nothing,
    so the subscriber's next edition still brings those articles."""
    return _empty_row(subscriber, day, start, now, "failed", reason[:1000])


def paused_row(subscriber: Subscriber, day: date, start: datetime, now: datetime) -> NewMessage:
    """The record of a day the reader paused: nothing sent, nothing covered, so the
    schedule does not count it as owed."""
    until = subscriber.paused_until.isoformat() if subscriber.paused_until else ""
    # Covering nothing from no later than the pause's start, so the edition after the
    # pause starts there (a first edition's 24 hours back would creep past it).
    if subscriber.paused_at is not None:
        start = min(start, subscriber.paused_at)
    return _empty_row(subscriber, day, start, now, "skipped", f"skipped: paused until {until}")


def _empty_row(
    subscriber: Subscriber, day: date, start: datetime, now: datetime, state: str, reply: str
) -> NewMessage:
    return NewMessage(
        kind="digest",
        key=digest_key(subscriber.id, day),
        subscriber_id=subscriber.id,
        recipient=subscriber.email,
        created_at=now,
        state=state,
        last_reply=reply,
        edition_date=day,
        window_start=start,
        window_end=start,
    )


def _row(
    subscriber: Subscriber,
    day: date,
    previous: datetime | None,
    pool: _Candidates,
    shared: _Shared,
    now: datetime,
    past: history.History,
) -> tuple[NewMessage, list[Carried]]:
    """The reader's outbox row and what it carries (nothing unless it is queued)."""
    start = window_start(previous, now, first_reach(subscriber.cadence))
    if subscriber.paused_on(day):
        return paused_row(subscriber, day, start, now), []
    resumed = resume_from_pause(subscriber, start)
    try:
        edition, body = shared.get(subscriber, pool, resumed or previous, now, day, past, resumed)
        row = outbox_row(edition, subscriber, shared.renderer, now, body)
        if row.state != "queued":
            return row, []
        return row, corrections.carried(edition.articles, edition.notices)
    except TemplateFailed:
        # Not this reader's problem but the edition's: the tick fails and says so, the
        # slot shows as overdue, and the fixed template sends every reader's edition.
        raise
    except BadAddress as exc:
        reason = f"cannot build the message: address refused: {exc.reason}"
        log.warning("edition %s for %s: %s", day, mask(subscriber.email), reason)
        return failed_row(subscriber, day, start, now, reason), []
    except Exception as exc:  # this subscriber's message only; the batch goes on
        reason = f"cannot build the message: {exc.__class__.__name__}: {exc}"
        log.warning("edition %s for %s: %s", day, mask(subscriber.email), reason)
        log.debug("edition %s for subscriber %d", day, subscriber.id, exc_info=True)
        return failed_row(subscriber, day, start, now, reason), []


def _edition_day(subscriber: Subscriber, settings: Settings, now: datetime) -> date:
    try:
        return local_date(now, subscriber.timezone)
    except Exception:  # a timezone gone from tzdata: the message still says why it failed
        return local_date(now, settings.site.timezone)


def enqueue_editions(
    engine: Engine,
    settings: Settings,
    clock: Clock,
    edition_date: date | None = None,
    subscriber_ids: list[int] | None = None,
) -> EnqueueReport:
    """Record this edition for every active subscriber (or those given) that lacks one.

    The edition date is ``edition_date`` or today in each subscriber's timezone;
    its window runs from the subscriber's previous edition (else 24 hours back)
    to now.
    """
    now = clock.now()
    report = EnqueueReport()
    # DKIM signs when a message is sent, not here (rows keep no finished bytes); a bad
    # key still stops the enqueue, before any reader has a row that cannot go out.
    load_signer(settings)
    shared = _Shared(DigestRenderer(settings))
    pool = _Candidates(now)
    for batch in _batches(engine, subscriber_ids):
        ids = [s.id for s in batch]
        days = {s.id: edition_date or _edition_day(s, settings, now) for s in batch}
        with engine.connect() as conn:
            done = outbox_store.editions_of(conn, ids, set(days.values()))
            previous = outbox_store.previous_cutoffs(conn, ids)
            # A weekly reader is not owed an edition on the other days of the week.
            batch = [s for s in batch if is_edition_day(s.cadence, s.weekday, days[s.id])]
            todo = [s for s in batch if (s.id, days[s.id]) not in done]
            report.existing += len(batch) - len(todo)
            if not todo:
                continue
            earliest = min(
                window_start(previous.get(s.id), now, first_reach(s.cadence)) for s in todo
            )
            pool.load(conn, earliest)
            past = history.load(conn, [s.id for s in todo], pool.after(earliest))
        made = [_row(s, days[s.id], previous.get(s.id), pool, shared, now, past) for s in todo]
        rows = [row for row, _ in made]
        with engine.begin() as conn:
            inserted = outbox_store.enqueue(conn, rows)
            carried.record(conn, "digest", {row.key: items for row, items in made if items})
        report.existing += len(rows) - len(inserted)
        queued = sum(1 for state in inserted if state == "queued")
        failed = sum(1 for state in inserted if state == "failed")
        report.queued += queued
        report.failed += failed
        report.skipped += len(inserted) - queued - failed
        metrics.DIGESTS.labels(event="queued").inc(queued)
        if failed:
            metrics.DIGESTS.labels(event="failed").inc(failed)
        del rows, made
    return report


def sample_subscriber(settings: Settings) -> Subscriber:
    """A reader of every section in the site's language and timezone, for previews."""
    return Subscriber(
        id=0,
        email="preview@example.org",
        status="active",
        sections=(),
        timezone=settings.site.timezone,
        language=settings.site.language,
        digest_time=settings.schedule.digest_time,
        link_key="preview",  # links of a reader who is on no list: they act on no one
    )


def preview_edition(
    engine: Engine, settings: Settings, now: datetime, reader: Subscriber, day: date | None = None
) -> Edition:
    """The edition ``reader`` would get for ``day`` (default: today), recording nothing.

    A past day ends at the reader's send time that day; today ends now.
    """
    today = local_date(now, reader.timezone)
    day = day or today
    cutoff = now
    if day < today:
        hour, minute = (int(p) for p in reader.digest_time.split(":"))
        zone = ZoneInfo(reader.timezone)
        cutoff = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
    with engine.connect() as conn:
        previous = outbox_store.previous_cutoffs(conn, [reader.id], before=day).get(reader.id)
        if previous is not None and previous >= cutoff:
            previous = None  # a preview of a day already covered shows that day again
        start = window_start(previous, cutoff, first_reach(reader.cadence))
        candidates = load_candidates(conn, start, cutoff)
    return select_edition(reader, candidates, previous, cutoff, settings, day)
