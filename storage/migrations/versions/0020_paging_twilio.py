"""Paging: deliveries by SMS and voice call (Twilio)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "page_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("way", _text(8), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("token", _text(32), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("claimed_by", _text(64), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("sid", _text(64), nullable=True),
        sa.Column("error", _text(300), nullable=True),
        sa.ForeignKeyConstraint(["escalation_id"], ["page_escalation.id"]),
        sa.ForeignKeyConstraint(["notification_id"], ["page_notification.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id", "way", name="uq_page_delivery"),
        sa.UniqueConstraint("token", name="uq_page_delivery_token"),
    )
    op.create_index(
        op.f("ix_page_delivery_escalation_id"), "page_delivery", ["escalation_id"], unique=False
    )
    op.create_index(
        "ix_page_delivery_status_created", "page_delivery", ["status", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_page_delivery_status_created", table_name="page_delivery")
    op.drop_index(op.f("ix_page_delivery_escalation_id"), table_name="page_delivery")
    op.drop_table("page_delivery")
