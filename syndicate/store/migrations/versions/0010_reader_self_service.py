"""subscribers.paused_until / paused_at, unsubscribe_reason / unsubscribe_note: self-service

Revision ID: 0010_reader_self_service
Revises: 0009_bounce_reports
Create Date: 2026-12-01 13:00:00

A reader may pause their digest until a date (``paused_until``; ``paused_at`` is
when they asked, so the first edition after it starts there), and may say why
they left when they unsubscribe (one of a short list, plus optional free text).
Every column is nullable: rows already on the list are neither paused nor gone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syndicate.store.tables

revision = "0010_reader_self_service"
down_revision = "0009_bounce_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscribers", sa.Column("paused_until", sa.Date(), nullable=True))
    op.add_column(
        "subscribers",
        sa.Column("paused_at", syndicate.store.tables.UTCDateTime(), nullable=True),
    )
    op.add_column("subscribers", sa.Column("unsubscribe_reason", sa.String(32), nullable=True))
    op.add_column("subscribers", sa.Column("unsubscribe_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        for name in ("unsubscribe_note", "unsubscribe_reason", "paused_at", "paused_until"):
            batch.drop_column(name)
