"""On call: the nights nudge held until the person's next working window

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows of before: due at once (due_at NULL) and claimable (lease_until NULL); what they
    # say is filled in by the next check, which runs before the sending.
    with op.batch_alter_table("oncall_night_nudge") as batch:
        batch.add_column(sa.Column("due_at", storage.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "nights",
                sqlmodel.sql.sqltypes.AutoString(length=80),
                nullable=False,
                server_default="",
            )
        )
        batch.add_column(
            sa.Column(
                "schedules",
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default="[]",
            )
        )
    op.create_index(
        op.f("ix_oncall_night_nudge_due_at"), "oncall_night_nudge", ["due_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_oncall_night_nudge_due_at"), table_name="oncall_night_nudge")
    with op.batch_alter_table("oncall_night_nudge") as batch:
        batch.drop_column("schedules")
        batch.drop_column("nights")
        batch.drop_column("lease_until")
        batch.drop_column("due_at")
