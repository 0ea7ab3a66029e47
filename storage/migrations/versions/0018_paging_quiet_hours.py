"""Paging: quiet hours (held pages, urgent escalations)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("page_escalation") as batch:
        batch.add_column(
            sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("page_notification") as batch:
        batch.add_column(sa.Column("held_until", storage.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True))
    op.create_index(
        op.f("ix_page_notification_held_until"),
        "page_notification",
        ["held_until"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_page_notification_held_until"), table_name="page_notification")
    with op.batch_alter_table("page_notification") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("held_until")
    with op.batch_alter_table("page_escalation") as batch:
        batch.drop_column("urgent")
