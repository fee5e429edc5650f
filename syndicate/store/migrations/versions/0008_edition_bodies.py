"""edition_bodies: each distinct digest body stored once, outbox rows point at it

Revision ID: 0008_edition_bodies
Revises: 0007ids
Create Date: 2026-12-01 13:00:00

A digest row used to carry its whole finished message (~25 KB); now it keeps
what is personal (address, link key, Message-ID) and ``body_id``, and the bytes
are assembled when it is sent. Rows already holding their bytes in ``message``
keep them and are sent as they are: nothing is rewritten.

A body has no parent to cascade from: the outbox reference uses no cascade and
unreferenced bodies are removed by the delivery step.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_edition_bodies"
down_revision = "0007ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edition_bodies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_edition_bodies"),
        sa.UniqueConstraint("digest", name="uq_edition_bodies_digest"),
        sqlite_autoincrement=True,
    )
    # SQLite rebuilds the table to add the reference: it stays AUTOINCREMENT (0007ids).
    with op.batch_alter_table("outbox", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("link_key", sa.String(32)))
        batch.add_column(
            sa.Column(
                "body_id",
                sa.Integer(),
                sa.ForeignKey("edition_bodies.id", name="fk_outbox_body_id_edition_bodies"),
            )
        )
        batch.create_index("ix_outbox_body_id", ["body_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index("ix_outbox_body_id")
        batch.drop_constraint("fk_outbox_body_id_edition_bodies", type_="foreignkey")
        batch.drop_column("body_id")
        batch.drop_column("link_key")
    op.drop_table("edition_bodies")
