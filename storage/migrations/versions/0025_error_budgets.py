"""Error budgets: an incident's budget figures (at declare, at resolve, the last look) and the
waivers of the deploy gate's budget check; a watch's Prometheus away since

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "incident_budget",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("service", _text(80), nullable=False),
        sa.Column("objective", sa.Float(), nullable=False),
        sa.Column("window", _text(8), nullable=False),
        sa.Column("left_at_declare", sa.Float(), nullable=True),
        sa.Column("left_at_resolve", sa.Float(), nullable=True),
        sa.Column("resolve_taken_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("due_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("why", _text(16), nullable=False),
        sa.Column("claimed_by", _text(64), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("checked_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_index(op.f("ix_incident_budget_due_at"), "incident_budget", ["due_at"], unique=False)
    op.create_table(
        "budget_waiver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", _text(80), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("waived_by", _text(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("waived_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_budget_waiver_service"), "budget_waiver", ["service"], unique=False)
    with op.batch_alter_table("metric_watch") as batch:
        batch.add_column(sa.Column("away_since", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("metric_watch") as batch:
        batch.drop_column("away_since")
    op.drop_index(op.f("ix_budget_waiver_service"), table_name="budget_waiver")
    op.drop_table("budget_waiver")
    op.drop_index(op.f("ix_incident_budget_due_at"), table_name="incident_budget")
    op.drop_table("incident_budget")
