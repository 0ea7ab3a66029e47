"""Incidents

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("channel_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column(
            "declared_in_channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
        ),
        sa.Column("declared_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("commander_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("communicator_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("declared_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("mitigated_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("resolution_summary", sa.Text(), nullable=True),
        sa.Column("card_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column(
            "announcement_channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
        ),
        sa.Column("announcement_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("update_interval_seconds", sa.Integer(), nullable=True),
        sa.Column("last_update_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("next_prompt_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("unanswered_prompts", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index("ix_incident_next_prompt_at", ["next_prompt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_channel_id"), ["channel_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_channel_id"))
        batch_op.drop_index("ix_incident_next_prompt_at")

    op.drop_table("incident")
