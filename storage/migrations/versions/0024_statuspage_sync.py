"""The Atlassian Statuspage sync: its outbox, and each public incident's Statuspage id

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "statuspage_sync",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_incident_id", sa.Integer(), nullable=False),
        sa.Column("public_update_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("unsure", sa.Boolean(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", _text(64), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("method", _text(8), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["public_incident_id"], ["public_incident.id"]),
        sa.ForeignKeyConstraint(["public_update_id"], ["public_update.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_update_id"),
    )
    op.create_index(
        op.f("ix_statuspage_sync_public_incident_id"),
        "statuspage_sync",
        ["public_incident_id"],
        unique=False,
    )
    op.create_index(op.f("ix_statuspage_sync_status"), "statuspage_sync", ["status"], unique=False)
    with op.batch_alter_table("public_incident") as batch:
        batch.add_column(sa.Column("statuspage_id", _text(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("public_incident") as batch:
        batch.drop_column("statuspage_id")
    op.drop_index(op.f("ix_statuspage_sync_status"), table_name="statuspage_sync")
    op.drop_index(op.f("ix_statuspage_sync_public_incident_id"), table_name="statuspage_sync")
    op.drop_table("statuspage_sync")
