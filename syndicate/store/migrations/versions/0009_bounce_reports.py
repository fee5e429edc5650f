"""bounce_reports: reports that came back after the SMTP session; why an address is suppressed

Revision ID: 0009_bounce_reports
Revises: 0007ids
Create Date: 2026-12-01 13:00:00

Every report read (a DSN, an ARF complaint, a provider's webhook event) is one
row, unique by its key, so reading the same report twice changes nothing. The
subscriber gets the reason and the date of the report that closed it, and the
moment its soft-bounce count was last reset by a delivery.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_bounce_reports"
down_revision = "0008_edition_bodies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bounce_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("edition_date", sa.Date(), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_bounce_reports_subscriber_id_subscribers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bounce_reports")),
        sa.UniqueConstraint("key", name=op.f("uq_bounce_reports_key")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_bounce_reports_subscriber_kind",
        "bounce_reports",
        ["subscriber_id", "kind", "reported_at"],
    )
    op.create_index("ix_bounce_reports_received_at", "bounce_reports", ["received_at"])
    op.create_index("ix_bounce_reports_edition_date", "bounce_reports", ["edition_date", "kind"])
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("suppressed_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("suppressed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("soft_reset_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("soft_reset_at")
        batch.drop_column("suppressed_at")
        batch.drop_column("suppressed_reason")
    op.drop_table("bounce_reports")
