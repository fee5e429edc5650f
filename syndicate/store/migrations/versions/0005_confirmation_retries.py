"""subscribers.confirm_due_at / confirm_attempts: confirmation emails are retried

Revision ID: 0005confirm
Revises: 0004slots
Create Date: 2026-11-28 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syndicate.store.tables

revision = "0005confirm"
down_revision = "0004slots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Subscribers pending before this revision already had their one try: none is owed.
    op.add_column("subscribers", sa.Column("confirm_due_at", syndicate.store.tables.UTCDateTime()))
    op.add_column(
        "subscribers",
        sa.Column("confirm_attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index(
        op.f("ix_subscribers_confirm_due"), "subscribers", ["confirm_due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_subscribers_confirm_due"), table_name="subscribers")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("confirm_attempts")
        batch.drop_column("confirm_due_at")
