"""On call: handovers, planned ahead and claimed when due

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oncall_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("incoming", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("outgoing", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("welcomed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("thanked_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule", "at", name="uq_oncall_handover_at"),
    )
    op.create_index("ix_oncall_handover_due", "oncall_handover", ["state", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_oncall_handover_due", table_name="oncall_handover")
    op.drop_table("oncall_handover")
