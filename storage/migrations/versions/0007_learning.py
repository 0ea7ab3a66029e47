"""Learning across incidents: drills, tags, similar incidents, publishing, full-text search

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types
from storage import search_index

revision: str = "0007"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.add_column(
            sa.Column("drill", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("tags", sa.Text(), nullable=True))
        batch.add_column(sa.Column("similar", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("postmortem_final_at", storage.types.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "published_channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
            )
        )
        batch.add_column(
            sa.Column("published_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for ddl in search_index.postgres_index_ddl() + search_index.partial_index_ddl():
            op.execute(ddl)
    else:
        search_index.ensure_sqlite_search(bind)  # the partial indexes too


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for ddl in search_index.postgres_drop_ddl():
            op.execute(ddl)
        for name in search_index.PARTIAL_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    else:
        for name in search_index.sqlite_trigger_ddl():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
        for name in search_index.PARTIAL_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("incident") as batch:
        for column in (
            "published_ts",
            "published_channel_id",
            "postmortem_final_at",
            "similar",
            "tags",
            "drill",
        ):
            batch.drop_column(column)
