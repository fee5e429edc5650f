"""The tables. Only the store package reads or writes them; everything else calls its operations."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, always hands back timezone-aware UTC (SQLite drops the offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; attach a timezone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_link_key() -> str:
    """A subscriber row's own random key: signed into every link made for that row."""
    return secrets.token_urlsafe(12)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guid", String(2048), nullable=False, unique=True),
    Column("url", String(2048), nullable=False),
    Column("section", String(64), nullable=False),  # home section
    Column("headline", Text, nullable=False),
    Column("lede", Text, nullable=False, default=""),
    Column("lede_is_teaser", Boolean, nullable=False, default=False),
    Column("body", Text, nullable=False, default=""),
    Column("image_url", String(2048)),
    Column("image_alt", Text),
    Column("image_caption", Text),
    Column("image_credit", Text),
    Column("byline", Text),
    Column("language", String(16)),
    Column("published_at", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("first_seen_at", UTCDateTime(), nullable=False),
    # Moves on every stored change; the poll step asks for changed_at > last build.
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("withdrawn", Boolean, nullable=False, default=False),
    # Alert the readers who asked for breaking news (once: see digest.alerts).
    Column("breaking", Boolean, nullable=False, default=False, server_default=false()),
    # The newsroom's correction note; readers who already got the article are told.
    Column("correction", Text, nullable=False, default="", server_default=""),
    Column("content_hash", String(64), nullable=False),
    Index("ix_articles_first_seen_at", "first_seen_at"),
    Index("ix_articles_changed_at", "changed_at"),
    # SQLite would otherwise hand a deleted row's id to the next insert.
    sqlite_autoincrement=True,
)

# Feeds list articles newest first (publication time, else first seen): this index lets
# the `all` feed read its 50 rows in order instead of sorting every article.
Index(
    "ix_articles_feed_order",
    func.coalesce(articles.c.published_at, articles.c.first_seen_at),
    articles.c.guid,
)

article_sections = Table(
    "article_sections",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("section", String(64), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
    Index("ix_article_sections_section", "section", "article_id"),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    # pending | active | unsubscribed | bounced | complained (subscribers.lifecycle moves them)
    Column("status", String(16), nullable=False, default="active"),
    Column("all_sections", Boolean, nullable=False, default=False),
    Column("timezone", String(64), nullable=False),
    Column("language", String(16), nullable=False),
    Column("digest_time", String(5), nullable=False),
    Column("hard_bounces", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("confirmed_at", UTCDateTime()),
    Column("unsubscribed_at", UTCDateTime()),
    # Part of every signed link and Message-ID made for this row: a link made for
    # someone removed since never acts on whoever is on the list now.
    Column("link_key", String(32), nullable=False, default=new_link_key),
    # Rows from before links carried a key: their keyless links (in digests already
    # delivered) still work. Rows added since accept keyed links only.
    Column("unkeyed_links", Boolean, nullable=False, default=False, server_default=false()),
    # Why the address gets no mail (bounced, complained) and the date of the report that said so.
    Column("suppressed_reason", Text),
    Column("suppressed_at", UTCDateTime()),
    # Soft bounces reported before this moment no longer count (a delivery since reset them).
    Column("soft_reset_at", UTCDateTime()),
    # Self-service: no digest before paused_until; paused_at is when the reader asked.
    Column("paused_until", Date),
    Column("paused_at", UTCDateTime()),
    # Why the reader left, when they said: one of the unsubscribe page's reasons, their words.
    Column("unsubscribe_reason", String(32)),
    Column("unsubscribe_note", Text),
    # daily | weekly; a weekly reader's edition comes on ``weekday`` (mon..sun).
    Column("cadence", String(8), nullable=False, default="daily", server_default="daily"),
    Column("weekday", String(3)),
    # Breaking-news alerts wanted (only for the sections followed).
    Column("alerts", Boolean, nullable=False, default=False, server_default=false()),
    Index("ix_subscribers_due", "status", "timezone", "digest_time"),
    sqlite_autoincrement=True,
)

subscriber_sections = Table(
    "subscriber_sections",
    metadata,
    Column(
        "subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("section", String(64), primary_key=True),
)

# Each distinct digest body once: the rendered, CSS-inlined, pre-encoded parts with the
# personal slots left open (see digest.body). ``digest`` is a hash of ``content`` itself,
# so two rows share a body whenever their content is equal, whatever made them.
edition_bodies = Table(
    "edition_bodies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("content", LargeBinary, nullable=False),
    # Moved by every enqueue that uses it: a body just written is never pruned
    # before the rows that reference it are committed.
    Column("used_at", UTCDateTime(), nullable=False),
    sqlite_autoincrement=True,
)

# Every message the service sends, one row each: a digest per (subscriber, edition), which is
# also the record of the window of articles that edition covered; a confirmation email per
# request. ``key`` is unique within a kind: "subscriber/edition date", "subscriber/request".
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False, default="digest", server_default="digest"),
    Column("key", String(128), nullable=False),
    Column(
        "subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False
    ),
    # Digests only: the edition and the window of articles it covers.
    Column("edition_date", Date),
    Column("window_start", UTCDateTime()),
    Column("window_end", UTCDateTime()),
    # queued -> sending -> sent | retry | failed | skipped
    Column("state", String(16), nullable=False, default="queued"),
    Column("article_count", Integer, nullable=False, default=0),
    Column("recipient", String(320), nullable=False, default=""),
    Column("message_id", String(255), nullable=False, default=""),
    # Rows from before edition bodies (and confirmations) hold their finished bytes here;
    # a digest holds ``body_id`` and what makes it personal, and is assembled when sent.
    Column("message", LargeBinary),
    Column("body_id", Integer, ForeignKey("edition_bodies.id")),
    Column("link_key", String(32)),  # the subscriber's, as signed into this row's links
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime()),
    Column("lease_until", UTCDateTime()),
    # host:pid:run of the worker holding the lease, so a restart on the same host
    # can take back the rows of a worker that died without waiting for the lease.
    Column("claimed_by", String(128)),
    Column("last_reply", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    UniqueConstraint("kind", "key", name="uq_outbox_kind_key"),
    Index("ix_outbox_subscriber_edition", "subscriber_id", "edition_date"),
    Index("ix_outbox_due", "state", "next_attempt_at"),
    Index("ix_outbox_subscriber_window", "subscriber_id", "window_end"),
    Index("ix_outbox_body_id", "body_id"),
    sqlite_autoincrement=True,
)

# Reports that came back after the SMTP session (DSN, ARF, provider webhooks): one row per
# report, unique by ``key``, so the same report read twice changes nothing. ``kind`` is
# hard | soft | complaint | delivered | auto_reply | ignored | unparsed; an unparsed
# report keeps its bytes for the operator.
bounce_reports = Table(
    "bounce_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("source", String(32), nullable=False),  # mail | ses | mailgun | sendgrid | postmark
    Column("kind", String(16), nullable=False),
    Column(
        "subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="SET NULL"), nullable=True
    ),
    Column("outbox_id", Integer, nullable=True),
    Column("edition_date", Date),
    Column("address", String(320), nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("reported_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("raw", LargeBinary),
    Index("ix_bounce_reports_subscriber_kind", "subscriber_id", "kind", "reported_at"),
    Index("ix_bounce_reports_received_at", "received_at"),
    Index("ix_bounce_reports_edition_date", "edition_date", "kind"),
    sqlite_autoincrement=True,
)

# Which articles each outbox row carried, and as what: "article" (in an edition),
# "alert", "correction" or "retraction"; ``note`` is a short hash of the correction
# note the reader saw then. Kept apart from the outbox so rows stay small, and so the
# next edition knows who must be told of a correction (see digest.corrections).
outbox_articles = Table(
    "outbox_articles",
    metadata,
    Column("outbox_id", Integer, ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True),
    Column("article_id", Integer, primary_key=True),
    Column("subscriber_id", Integer, nullable=False),
    Column("role", String(12), nullable=False),
    Column("note", String(16), nullable=False, default="", server_default=""),
    Index("ix_outbox_articles_subscriber_id_article_id", "subscriber_id", "article_id"),
    Index("ix_outbox_articles_article_id", "article_id"),
)

feed_state = Table(
    "feed_state",
    metadata,
    Column("section", String(64), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("built_at", UTCDateTime(), nullable=False),
    Column("newest_at", UTCDateTime()),
    # JSON list of the article ids in the published feed: when one of them moves
    # section or is withdrawn, the poll step knows this feed must change too.
    Column("entry_ids", Text),
)

# Send slots whose edition is enqueued for every subscriber the slot had then:
# the digest tick skips them, so a tick costs a few queries however many
# subscribers already have today's edition.
digest_slots = Table(
    "digest_slots",
    metadata,
    Column("edition_date", Date, primary_key=True),
    Column("timezone", String(64), primary_key=True),
    Column("digest_time", String(5), primary_key=True),
    Column("done_at", UTCDateTime(), nullable=False),
)

# Small key/value facts: last poll mark, last WebSub ping failures, ...
service_state = Table(
    "service_state",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
