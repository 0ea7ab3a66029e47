"""On call: swap requests (asked in a DM, nothing changes until accepted)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oncall_swap_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("requester_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("target_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day_start", storage.types.UTCDateTime(), nullable=False),
        sa.Column("day_end", storage.types.UTCDateTime(), nullable=False),
        sa.Column("day_label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("answered_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("dm_channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("dm_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("oncall_swap_request")
