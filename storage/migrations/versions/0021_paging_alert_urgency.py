"""Paging: low-urgency escalations (pages of warning and info alerts), each page's step due time

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("page_escalation") as batch:
        batch.add_column(
            sa.Column("low_urgency", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("page_notification") as batch:
        batch.add_column(sa.Column("step_due_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("page_notification") as batch:
        batch.drop_column("step_due_at")
    with op.batch_alter_table("page_escalation") as batch:
        batch.drop_column("low_urgency")
