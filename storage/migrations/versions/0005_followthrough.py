"""Follow-through: ticket outbox, verification, waivers, nudge and digest claims

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("criteria", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("prevention_class", _STR(length=16), nullable=True))
        batch_op.add_column(sa.Column("verification", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("verified_by", _STR(length=32), nullable=True))
        batch_op.add_column(sa.Column("verified_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("ticket_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("waived_by", _STR(length=32), nullable=True))
        batch_op.add_column(sa.Column("waived_at", storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("waived_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("snoozed_until", storage.types.UTCDateTime(), nullable=True))

    op.create_table(
        "action_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_item_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("provider", _STR(length=8), nullable=False),
        sa.Column("state", _STR(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", _STR(length=64), nullable=True),
        sa.Column("external_id", _STR(length=64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("filed_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["action_item_id"], ["action_item.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_item_id", name="uq_action_ticket_item"),
    )
    with op.batch_alter_table("action_ticket", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_action_ticket_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index("ix_action_ticket_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_action_ticket_external", ["provider", "external_id"], unique=False
        )

    op.create_table(
        "followthrough_send",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _STR(length=16), nullable=False),
        sa.Column("key", _STR(length=96), nullable=False),
        sa.Column("claimed_by", _STR(length=64), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "key", name="uq_followthrough_send"),
    )


def downgrade() -> None:
    op.drop_table("followthrough_send")
    with op.batch_alter_table("action_ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_action_ticket_external")
        batch_op.drop_index("ix_action_ticket_due")
        batch_op.drop_index(batch_op.f("ix_action_ticket_incident_id"))
    op.drop_table("action_ticket")
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        for name in (
            "snoozed_until", "waived_reason", "waived_at", "waived_by", "ticket_url",
            "verified_at", "verified_by", "verification", "prevention_class", "criteria",
        ):  # fmt: skip
            batch_op.drop_column(name)
