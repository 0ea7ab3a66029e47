"""Timeline, update prompts and postmortem analysis

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("owner_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("done_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "number", name="uq_action_item_number"),
    )
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_action_item_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "postmortem_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("postmortem_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_postmortem_item_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "timeline_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("thread_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("author_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("author_name", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("files", sa.Text(), nullable=True),
        sa.Column("occurred_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("edited_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("deleted_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("deleted_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("key_event", sa.Boolean(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "ts", name="uq_timeline_entry_channel_ts"),
    )
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_timeline_entry_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_timeline_entry_incident_order", ["incident_id", "occurred_at", "id"], unique=False
        )

    op.create_table(
        "update_prompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("sent_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("mentioned", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("snoozed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("snoozed_until", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "due_at", name="uq_update_prompt_due"),
    )
    with op.batch_alter_table("update_prompt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_update_prompt_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "timeline_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("replaced_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["timeline_entry.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("timeline_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_timeline_revision_entry_id"), ["entry_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("timeline_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timeline_revision_entry_id"))

    op.drop_table("timeline_revision")
    with op.batch_alter_table("update_prompt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_update_prompt_incident_id"))

    op.drop_table("update_prompt")
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_entry_incident_order")
        batch_op.drop_index(batch_op.f("ix_timeline_entry_incident_id"))

    op.drop_table("timeline_entry")
    with op.batch_alter_table("postmortem_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postmortem_item_incident_id"))

    op.drop_table("postmortem_item")
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_item_incident_id"))

    op.drop_table("action_item")
