"""The alert storm card: alert groups listed on it instead of declaring by themselves

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("storm_card", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_group", schema=None) as batch_op:
        batch_op.drop_column("storm_card")
