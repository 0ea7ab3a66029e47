"""At 3am, less to remember: checklists, runbooks, copied messages, fatigue nudges, App Home

Revision ID: 0008
Revises: 0005 (main already has 0005; the brief said 0003, which would make two heads)
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString
_TIME = storage.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("permalink", sa.Text(), nullable=True))

    op.create_table(
        "checklist_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("added_by", _STR(length=32), nullable=True),
        sa.Column("done_by", _STR(length=32), nullable=True),
        sa.Column("done_at", _TIME(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_checklist_item_incident", "checklist_item", ["incident_id", "position"])

    op.create_table(
        "incident_runbook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("added_by", _STR(length=32), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "url", name="uq_incident_runbook"),
    )
    op.create_index(op.f("ix_incident_runbook_incident_id"), "incident_runbook", ["incident_id"])

    op.create_table(
        "incident_checklist_message",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", _STR(length=32), nullable=False),
        sa.Column("ts", _STR(length=32), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )

    op.create_table(
        "fatigue_nudge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", _STR(length=32), nullable=False),
        sa.Column("stretch_start", _TIME(), nullable=False),
        sa.Column("claimed_by", _STR(length=64), nullable=True),
        sa.Column("sent_at", _TIME(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "user_id", "stretch_start", name="uq_fatigue_nudge"),
    )
    op.create_index(op.f("ix_fatigue_nudge_incident_id"), "fatigue_nudge", ["incident_id"])

    op.create_table(
        "home_view",
        sa.Column("user_id", _STR(length=32), nullable=False),
        sa.Column("opened_at", _TIME(), nullable=False),
        sa.Column("published_at", _TIME(), nullable=True),
        sa.Column("digest", _STR(length=64), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("home_view")
    op.drop_index(op.f("ix_fatigue_nudge_incident_id"), table_name="fatigue_nudge")
    op.drop_table("fatigue_nudge")
    op.drop_table("incident_checklist_message")
    op.drop_index(op.f("ix_incident_runbook_incident_id"), table_name="incident_runbook")
    op.drop_table("incident_runbook")
    op.drop_index("ix_checklist_item_incident", table_name="checklist_item")
    op.drop_table("checklist_item")
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.drop_column("permalink")
