"""Tracker webhook deliveries acted on once, and alerts left out of a full group

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_delivery",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", "key"),
    )
    with op.batch_alter_table("alert_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alerts_left_out", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_group", schema=None) as batch_op:
        batch_op.drop_column("alerts_left_out")
    op.drop_table("webhook_delivery")
