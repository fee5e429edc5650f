"""editorial lanes: subscriber cadence, weekday and alerts; breaking and corrected articles;
which articles each outbox row carried

Revision ID: 0011_editorial_lanes
Revises: 0009_bounce_reports
Create Date: 2026-12-01 13:00:00

Every subscriber already on the list stays daily with alerts off. Articles stored
before this revision are neither breaking nor corrected. ``outbox_articles`` starts
empty: editions sent before it carried no record of their articles, so a correction
to an older article reaches only the readers who got it from now on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_editorial_lanes"
down_revision = "0010_reader_self_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "subscribers",
        sa.Column("cadence", sa.String(8), nullable=False, server_default="daily"),
    )
    op.add_column("subscribers", sa.Column("weekday", sa.String(3)))
    op.add_column(
        "subscribers",
        sa.Column("alerts", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "articles", sa.Column("breaking", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("articles", sa.Column("correction", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "outbox_articles",
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("note", sa.String(16), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name="fk_outbox_articles_outbox_id_outbox",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", "article_id", name="pk_outbox_articles"),
    )
    op.create_index(
        "ix_outbox_articles_subscriber_id_article_id",
        "outbox_articles",
        ["subscriber_id", "article_id"],
    )
    op.create_index("ix_outbox_articles_article_id", "outbox_articles", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_articles_article_id", table_name="outbox_articles")
    op.drop_index("ix_outbox_articles_subscriber_id_article_id", table_name="outbox_articles")
    op.drop_table("outbox_articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("correction")
        batch.drop_column("breaking")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("alerts")
        batch.drop_column("weekday")
        batch.drop_column("cadence")
