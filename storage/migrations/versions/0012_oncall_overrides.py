"""On call: overrides of a schedule's rotation

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oncall_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("start_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("end_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("removed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("removed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_oncall_override_schedule_end", "oncall_override", ["schedule", "end_at"], unique=False
    )
    op.create_index(op.f("ix_oncall_override_end_at"), "oncall_override", ["end_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_oncall_override_end_at"), table_name="oncall_override")
    op.drop_index("ix_oncall_override_schedule_end", table_name="oncall_override")
    op.drop_table("oncall_override")
