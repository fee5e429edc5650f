"""ids never reused; subscribers.link_key / unkeyed_links: links bound to their row

Revision ID: 0007ids
Revises: 0006kinds
Create Date: 2026-12-01 11:00:00

SQLite hands the id of the last deleted row to the next insert unless the table
is AUTOINCREMENT, and only a rebuild makes it so: articles, subscribers and
outbox are copied into AUTOINCREMENT tables, ids and rows as they were
(PostgreSQL sequences never go back, so there only the columns are added).

Every subscriber gets a random link key, signed into the links made from now on.
The rows already on the list are marked ``unkeyed_links``: the links in the
digests and emails they already have (no key) go on working for them. A row
added after this revision, even for an address removed before it, accepts only
links that carry its own key.

On SQLite the rebuild drops and renames tables: it must run with foreign keys
off, or dropping subscribers would cascade to every outbox row. ``store.migrate``
does that; run by hand with foreign keys on, this revision refuses.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007ids"
down_revision = "0006kinds"
branch_labels = None
depends_on = None

_subscribers = sa.table(
    "subscribers",
    sa.column("id", sa.Integer),
    sa.column("link_key", sa.String),
    sa.column("unkeyed_links", sa.Boolean),
)
_FEED_ORDER = [sa.text("coalesce(published_at, first_seen_at)"), sa.text("guid")]
_BATCH = 1000


def _require_foreign_keys_off(bind: sa.Connection) -> None:
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "0007ids rebuilds tables on SQLite: run it with PRAGMA foreign_keys=OFF "
            "(`syndicate init` does), or dropping subscribers deletes every outbox row"
        )


def _give_keys(bind: sa.Connection) -> None:
    ids = list(bind.execute(sa.select(_subscribers.c.id).order_by(_subscribers.c.id)).scalars())
    for start in range(0, len(ids), _BATCH):
        bind.execute(
            _subscribers.update()
            .where(_subscribers.c.id == sa.bindparam("b_id"))
            .values(link_key=sa.bindparam("b_key"), unkeyed_links=sa.true()),
            [{"b_id": i, "b_key": secrets.token_urlsafe(12)} for i in ids[start : start + _BATCH]],
        )


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        _require_foreign_keys_off(bind)
    op.add_column("subscribers", sa.Column("link_key", sa.String(32), nullable=True))
    op.add_column(
        "subscribers",
        sa.Column("unkeyed_links", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _give_keys(bind)
    if not sqlite:
        op.alter_column("subscribers", "link_key", existing_type=sa.String(32), nullable=False)
        return
    # Reflection cannot copy an index on an expression: it is made again after the copy.
    op.drop_index("ix_articles_feed_order", table_name="articles")
    for table in ("articles", "subscribers", "outbox"):
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            if table == "subscribers":
                batch.alter_column("link_key", existing_type=sa.String(32), nullable=False)
    op.create_index("ix_articles_feed_order", "articles", _FEED_ORDER)
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"0007ids: rows left without their parent row: {broken[:5]}")


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if not sqlite:
        op.drop_column("subscribers", "unkeyed_links")
        op.drop_column("subscribers", "link_key")
        return
    _require_foreign_keys_off(bind)
    op.drop_index("ix_articles_feed_order", table_name="articles")
    for table in ("articles", "subscribers", "outbox"):
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": False}
        ) as batch:
            if table == "subscribers":
                batch.drop_column("unkeyed_links")
                batch.drop_column("link_key")
    op.create_index("ix_articles_feed_order", "articles", _FEED_ORDER)
