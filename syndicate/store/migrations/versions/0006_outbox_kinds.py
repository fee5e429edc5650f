"""outbox.kind / outbox.key: one outbox for digests and confirmation emails

Revision ID: 0006kinds
Revises: 0005confirm
Create Date: 2026-12-01 10:00:00

Digest rows get kind "digest" and the key "subscriber/edition date". Every
confirmation email still owed (a pending subscriber with ``confirm_due_at``)
becomes a row of kind "confirmation", due when it was due, with the tries made
so far; its message is rendered before it is sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syndicate.store.tables

revision = "0006kinds"
down_revision = "0005confirm"
branch_labels = None
depends_on = None

_outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("key", sa.String),
    sa.column("subscriber_id", sa.Integer),
    sa.column("edition_date", sa.Date),
    sa.column("state", sa.String),
    sa.column("article_count", sa.Integer),
    sa.column("recipient", sa.String),
    sa.column("message_id", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("next_attempt_at", syndicate.store.tables.UTCDateTime()),
    sa.column("created_at", syndicate.store.tables.UTCDateTime()),
)
_subscribers = sa.table(
    "subscribers",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("status", sa.String),
    sa.column("confirm_due_at", syndicate.store.tables.UTCDateTime()),
    sa.column("confirm_attempts", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="digest"))
        batch.add_column(sa.Column("key", sa.String(128), nullable=True))
        batch.alter_column("edition_date", existing_type=sa.Date(), nullable=True)
        batch.alter_column(
            "window_start", existing_type=syndicate.store.tables.UTCDateTime(), nullable=True
        )
        batch.alter_column(
            "window_end", existing_type=syndicate.store.tables.UTCDateTime(), nullable=True
        )
    op.execute(
        _outbox.update().values(
            key=sa.cast(_outbox.c.subscriber_id, sa.String)
            + "/"
            + sa.cast(_outbox.c.edition_date, sa.String)
        )
    )
    owed = sa.select(
        sa.literal("confirmation"),
        sa.cast(_subscribers.c.id, sa.String) + "/1",
        _subscribers.c.id,
        sa.case((_subscribers.c.confirm_attempts > 0, "retry"), else_="queued"),
        sa.literal(0),
        _subscribers.c.email,
        sa.literal(""),
        _subscribers.c.confirm_attempts,
        _subscribers.c.confirm_due_at,
        _subscribers.c.confirm_due_at,
    ).where(_subscribers.c.status == "pending", _subscribers.c.confirm_due_at.is_not(None))
    op.execute(
        _outbox.insert().from_select(
            [
                "kind",
                "key",
                "subscriber_id",
                "state",
                "article_count",
                "recipient",
                "message_id",
                "attempts",
                "next_attempt_at",
                "created_at",
            ],
            owed,
        )
    )
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("key", existing_type=sa.String(128), nullable=False)
        batch.drop_constraint("uq_outbox_subscriber_edition", type_="unique")
        batch.create_unique_constraint("uq_outbox_kind_key", ["kind", "key"])
        batch.create_index("ix_outbox_subscriber_edition", ["subscriber_id", "edition_date"])
    op.drop_index("ix_subscribers_confirm_due", table_name="subscribers")
    # Not a batch copy on SQLite: dropping the subscribers table to rebuild it would
    # cascade to every outbox row. ALTER TABLE ... DROP COLUMN (SQLite 3.35+) keeps them.
    for column in ("confirm_attempts", "confirm_due_at"):
        op.execute(f"ALTER TABLE subscribers DROP COLUMN {column}")


def downgrade() -> None:
    op.add_column("subscribers", sa.Column("confirm_due_at", syndicate.store.tables.UTCDateTime()))
    op.add_column(
        "subscribers",
        sa.Column("confirm_attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_subscribers_confirm_due", "subscribers", ["confirm_due_at"])
    waiting = (
        sa.select(_outbox.c.next_attempt_at)
        .where(
            _outbox.c.kind == "confirmation",
            _outbox.c.subscriber_id == _subscribers.c.id,
            _outbox.c.state.in_(["queued", "retry", "sending"]),
        )
        .scalar_subquery()
    )
    op.execute(
        _subscribers.update()
        .where(_subscribers.c.status == "pending")
        .values(confirm_due_at=waiting)
    )
    op.execute(_outbox.delete().where(_outbox.c.kind != "digest"))
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_subscriber_edition")
        batch.drop_constraint("uq_outbox_kind_key", type_="unique")
        batch.create_unique_constraint(
            "uq_outbox_subscriber_edition", ["subscriber_id", "edition_date"]
        )
        batch.drop_column("key")
        batch.drop_column("kind")
        batch.alter_column("edition_date", existing_type=sa.Date(), nullable=False)
        batch.alter_column(
            "window_start", existing_type=syndicate.store.tables.UTCDateTime(), nullable=False
        )
        batch.alter_column(
            "window_end", existing_type=syndicate.store.tables.UTCDateTime(), nullable=False
        )
