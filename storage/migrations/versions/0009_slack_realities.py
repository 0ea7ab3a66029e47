"""Slack's failure modes: war-room state, deletions found by backfill, external authors

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("war_room_state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("war_room_state_since", storage.types.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_while_away", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("external", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.drop_column("external")
        batch_op.drop_column("deleted_while_away")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("war_room_state_since")
        batch_op.drop_column("war_room_state")
