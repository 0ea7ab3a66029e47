"""Scheduled maintenance on the public status page

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "status_maintenance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", _text(16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("components", sa.Text(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("scheduled_for", storage.types.UTCDateTime(), nullable=False),
        sa.Column("scheduled_until", storage.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", _text(32), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("completed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("started_by", _text(80), nullable=True),
        sa.Column("completed_by", _text(80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id"),
    )
    op.create_index(
        op.f("ix_status_maintenance_status"), "status_maintenance", ["status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_status_maintenance_status"), table_name="status_maintenance")
    op.drop_table("status_maintenance")
