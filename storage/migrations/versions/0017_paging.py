"""Paging: escalations and the people they paged

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "page_escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("service", _text(80), nullable=False),
        sa.Column("policy", _text(80), nullable=False),
        sa.Column("message", _text(500), nullable=False),
        sa.Column("requested_by", _text(32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("claimed_by", _text(64), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("acked_by", _text(32), nullable=True),
        sa.Column("acked_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_page_escalation_status_due", "page_escalation", ["status", "due_at"], unique=False
    )
    op.create_index(
        op.f("ix_page_escalation_incident_id"), "page_escalation", ["incident_id"], unique=False
    )
    op.create_table(
        "page_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("channel_id", _text(32), nullable=True),
        sa.Column("ts", _text(32), nullable=True),
        sa.ForeignKeyConstraint(["escalation_id"], ["page_escalation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "escalation_id", "round", "level", "user_id", name="uq_page_notification"
        ),
    )
    op.create_index(
        op.f("ix_page_notification_escalation_id"),
        "page_notification",
        ["escalation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_page_notification_escalation_id"), table_name="page_notification")
    op.drop_table("page_notification")
    op.drop_index(op.f("ix_page_escalation_incident_id"), table_name="page_escalation")
    op.drop_index("ix_page_escalation_status_due", table_name="page_escalation")
    op.drop_table("page_escalation")
