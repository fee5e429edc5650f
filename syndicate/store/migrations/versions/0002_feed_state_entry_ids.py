"""feed_state.entry_ids (which articles each published feed holds); feed order index

Revision ID: 0002feeds
Revises: 0001
Create Date: 2026-11-28 08:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002feeds"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry_ids", sa.Text(), nullable=True))
    op.create_index(
        "ix_articles_feed_order",
        "articles",
        [sa.text("coalesce(published_at, first_seen_at)"), sa.text("guid")],
    )


def downgrade() -> None:
    op.drop_index("ix_articles_feed_order", table_name="articles")
    with op.batch_alter_table("feed_state", schema=None) as batch_op:
        batch_op.drop_column("entry_ids")
