"""digest_slots: (date, timezone, time) send slots already enqueued

Revision ID: 0004slots
Revises: 0003
Create Date: 2026-11-28 08:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syndicate.store.tables

revision = "0004slots"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_slots",
        sa.Column("edition_date", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("digest_time", sa.String(length=5), nullable=False),
        sa.Column("done_at", syndicate.store.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "edition_date", "timezone", "digest_time", name=op.f("pk_digest_slots")
        ),
    )


def downgrade() -> None:
    op.drop_table("digest_slots")
